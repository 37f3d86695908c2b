<?xml version="1.0" encoding="UTF-8"?>
<!--
  cXML 1.2.050 OrderRequest from the hub's canonical purchase order (urn:edihub:purchase-order:1).
  Element order follows the cXML DTD: Header From/To/Sender, Request, OrderRequestHeader
  (Total, ShipTo, BillTo), then one ItemOut per line (ItemID, ItemDetail).

  Partner file, for example:
    [xml]
    mapping = "xml/cxml-orderrequest.xsl"
    params = { payload-domain = "hub.example-retail.com", from-domain = "NetworkId",
               from-identity = "AN01000000001", to-domain = "NetworkId",
               to-identity = "AN01000000002" }
    secret_params = { shared-secret = "ACME_CXML_SHARED_SECRET" }
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:po="urn:edihub:purchase-order:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="po edihub">

  <edihub:mapping
      description="cXML 1.2.050 OrderRequest"
      requires="po.number po.date_iso po.cost_total order.currency buyer.name
                ship_to.name ship_to.address1 ship_to.city ship_to.country
                line.number line.quantity line.uom line.unit_cost line.supplier_item"
      params="payload-domain from-domain from-identity to-domain to-identity shared-secret"/>

  <!-- The DOCTYPE names the DTD as real cXML does; nobody has to fetch it to read the file. -->
  <xsl:output method="xml" encoding="UTF-8" indent="yes"
      doctype-system="http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd"/>

  <!-- Set by the hub. -->
  <xsl:param name="document-id"/>
  <xsl:param name="timestamp"/>
  <xsl:param name="test" select="'0'"/>
  <!-- From the partner file: payloadID is <document-id>.<PO number>@<payload-domain>. -->
  <xsl:param name="payload-domain"/>
  <xsl:param name="from-domain"/>
  <xsl:param name="from-identity"/>
  <xsl:param name="to-domain"/>
  <xsl:param name="to-identity"/>
  <xsl:param name="shared-secret"/>
  <!-- Optional: the Sender is usually the From party. -->
  <xsl:param name="sender-domain" select="$from-domain"/>
  <xsl:param name="sender-identity" select="$from-identity"/>
  <xsl:param name="user-agent" select="'edihub'"/>
  <xsl:param name="lang" select="'en'"/>
  <!-- ItemDetail needs at least one Classification; suppliers that care say which. -->
  <xsl:param name="classification-domain" select="'custom'"/>
  <xsl:param name="classification-code" select="'0'"/>

  <xsl:variable name="currency" select="/po:purchase-order/po:order/po:currency"/>

  <xsl:template match="/po:purchase-order">
    <cXML payloadID="{$document-id}.{po:po/po:number}@{$payload-domain}"
          timestamp="{$timestamp}" xml:lang="en-US">
      <Header>
        <From>
          <Credential domain="{$from-domain}">
            <Identity><xsl:value-of select="$from-identity"/></Identity>
          </Credential>
        </From>
        <To>
          <Credential domain="{$to-domain}">
            <Identity><xsl:value-of select="$to-identity"/></Identity>
          </Credential>
        </To>
        <Sender>
          <Credential domain="{$sender-domain}">
            <Identity><xsl:value-of select="$sender-identity"/></Identity>
            <SharedSecret><xsl:value-of select="$shared-secret"/></SharedSecret>
          </Credential>
          <UserAgent><xsl:value-of select="$user-agent"/></UserAgent>
        </Sender>
      </Header>
      <Request>
        <xsl:attribute name="deploymentMode">
          <xsl:choose>
            <xsl:when test="$test = '1'">test</xsl:when>
            <xsl:otherwise>production</xsl:otherwise>
          </xsl:choose>
        </xsl:attribute>
        <OrderRequest>
          <OrderRequestHeader orderID="{po:po/po:number}" orderDate="{po:po/po:date_iso}"
                              type="new">
            <Total>
              <Money currency="{$currency}">
                <xsl:value-of select="format-number(po:po/po:cost_total, '0.00##')"/>
              </Money>
            </Total>
            <xsl:apply-templates select="po:ship_to"/>
            <BillTo>
              <Address>
                <xsl:if test="normalize-space(po:buyer/po:id)">
                  <xsl:attribute name="addressID"><xsl:value-of select="po:buyer/po:id"/></xsl:attribute>
                </xsl:if>
                <Name xml:lang="{$lang}"><xsl:value-of select="po:buyer/po:name"/></Name>
              </Address>
            </BillTo>
          </OrderRequestHeader>
          <xsl:apply-templates select="po:lines/po:line"/>
        </OrderRequest>
      </Request>
    </cXML>
  </xsl:template>

  <!-- Drop-ship: the ship-to is the end customer, reachable by e-mail and phone. -->
  <xsl:template match="po:ship_to">
    <xsl:variable name="customer" select="../po:customer"/>
    <ShipTo>
      <Address>
        <Name xml:lang="{$lang}"><xsl:value-of select="po:name"/></Name>
        <PostalAddress name="default">
          <DeliverTo><xsl:value-of select="po:name"/></DeliverTo>
          <Street><xsl:value-of select="po:address1"/></Street>
          <xsl:if test="normalize-space(po:address2)">
            <Street><xsl:value-of select="po:address2"/></Street>
          </xsl:if>
          <City><xsl:value-of select="po:city"/></City>
          <xsl:if test="normalize-space(po:state)">
            <State><xsl:value-of select="po:state"/></State>
          </xsl:if>
          <xsl:if test="normalize-space(po:postal_code)">
            <PostalCode><xsl:value-of select="po:postal_code"/></PostalCode>
          </xsl:if>
          <Country isoCountryCode="{po:country}"><xsl:value-of select="po:country"/></Country>
        </PostalAddress>
        <xsl:if test="normalize-space($customer/po:email)">
          <Email name="default"><xsl:value-of select="$customer/po:email"/></Email>
        </xsl:if>
        <xsl:if test="normalize-space($customer/po:phone)">
          <!-- We hold the number as one string: it goes whole into Number. -->
          <Phone name="default">
            <TelephoneNumber>
              <CountryCode isoCountryCode="{po:country}"/>
              <AreaOrCityCode/>
              <Number><xsl:value-of select="$customer/po:phone"/></Number>
            </TelephoneNumber>
          </Phone>
        </xsl:if>
      </Address>
    </ShipTo>
  </xsl:template>

  <xsl:template match="po:line">
    <ItemOut quantity="{po:quantity}" lineNumber="{po:number}">
      <ItemID>
        <SupplierPartID><xsl:value-of select="po:supplier_item"/></SupplierPartID>
        <xsl:if test="normalize-space(po:sku)">
          <BuyerPartID><xsl:value-of select="po:sku"/></BuyerPartID>
        </xsl:if>
      </ItemID>
      <ItemDetail>
        <UnitPrice>
          <Money currency="{$currency}">
            <xsl:value-of select="format-number(po:unit_cost, '0.00##')"/>
          </Money>
        </UnitPrice>
        <Description xml:lang="{$lang}">
          <xsl:choose>
            <xsl:when test="normalize-space(po:description)">
              <xsl:value-of select="po:description"/>
            </xsl:when>
            <!-- The DTD wants a Description: fall back to the supplier's own item number. -->
            <xsl:otherwise><xsl:value-of select="po:supplier_item"/></xsl:otherwise>
          </xsl:choose>
        </Description>
        <UnitOfMeasure><xsl:value-of select="po:uom"/></UnitOfMeasure>
        <Classification domain="{$classification-domain}">
          <xsl:value-of select="$classification-code"/>
        </Classification>
      </ItemDetail>
    </ItemOut>
  </xsl:template>
</xsl:stylesheet>
