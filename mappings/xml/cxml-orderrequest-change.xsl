<?xml version="1.0" encoding="UTF-8"?>
<!--
  cXML 1.2.050 OrderRequest for a changed or cancelled purchase order, from the hub's canonical
  purchase-order change (urn:edihub:purchase-order:1, root purchase-order-change). The
  counterpart of cxml-orderrequest.xsl, with the same parameters:

  * a change is an OrderRequest with OrderRequestHeader type="update": the whole order as it
    now stands (one ItemOut per line still ordered, new quantities), orderVersion one more
    than the order's changes so far (the first order is version 1), and a DocumentReference
    to the payloadID of the last document the supplier got about it;
  * a cancellation (every line deleted, nothing shipped) is type="delete", with the lines as
    they were ordered;
  * a new ship-to and a new requested delivery date (requestedDeliveryDate) go in the header.

  Element order follows the cXML DTD: OrderRequestHeader (Total, ShipTo?, BillTo, ...,
  DocumentReference?, ...), then ItemOut+. Partner file, for example:
    [xml]
    mapping = "xml/cxml-orderrequest.xsl"
    change_mapping = "xml/cxml-orderrequest-change.xsl"
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:po="urn:edihub:purchase-order:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="po edihub">

  <edihub:mapping
      document="purchase-order-change"
      description="cXML 1.2.050 OrderRequest type update / delete"
      requires="po.number po.date_iso po.cost_total order.currency buyer.name
                ship_to.name ship_to.address1 ship_to.city ship_to.country
                change.purpose change.sequence change.previous_document_id
                line.number line.uom line.unit_cost line.supplier_item"
      params="payload-domain from-domain from-identity to-domain to-identity shared-secret"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"
      doctype-system="http://xml.cxml.org/schemas/cXML/1.2.050/cXML.dtd"/>

  <!-- Set by the hub. -->
  <xsl:param name="document-id"/>
  <xsl:param name="timestamp"/>
  <xsl:param name="test" select="'0'"/>
  <!-- From the partner file, as for its purchase orders. -->
  <xsl:param name="payload-domain"/>
  <xsl:param name="from-domain"/>
  <xsl:param name="from-identity"/>
  <xsl:param name="to-domain"/>
  <xsl:param name="to-identity"/>
  <xsl:param name="shared-secret"/>
  <xsl:param name="sender-domain" select="$from-domain"/>
  <xsl:param name="sender-identity" select="$from-identity"/>
  <xsl:param name="user-agent" select="'edihub'"/>
  <xsl:param name="lang" select="'en'"/>
  <xsl:param name="classification-domain" select="'custom'"/>
  <xsl:param name="classification-code" select="'0'"/>

  <xsl:variable name="currency" select="/po:purchase-order-change/po:order/po:currency"/>
  <xsl:variable name="cancelled" select="/po:purchase-order-change/po:change/po:purpose = '01'"/>

  <xsl:template match="/po:purchase-order-change">
    <xsl:variable name="number" select="po:po/po:number"/>
    <cXML payloadID="{$document-id}.{$number}@{$payload-domain}"
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
          <OrderRequestHeader orderID="{$number}" orderDate="{po:po/po:date_iso}"
                              orderVersion="{po:change/po:sequence + 1}">
            <xsl:attribute name="type">
              <xsl:choose>
                <xsl:when test="$cancelled">delete</xsl:when>
                <xsl:otherwise>update</xsl:otherwise>
              </xsl:choose>
            </xsl:attribute>
            <xsl:if test="normalize-space(po:change/po:delivery_date_iso)">
              <xsl:attribute name="requestedDeliveryDate">
                <xsl:value-of select="po:change/po:delivery_date_iso"/>
              </xsl:attribute>
            </xsl:if>
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
            <xsl:if test="normalize-space(po:change/po:reason)">
              <Comments xml:lang="{$lang}"><xsl:value-of select="po:change/po:reason"/></Comments>
            </xsl:if>
            <!-- The supplier's copy of the order we change: the last document it got. -->
            <DocumentReference
                payloadID="{po:change/po:previous_document_id}.{$number}@{$payload-domain}"/>
          </OrderRequestHeader>
          <xsl:choose>
            <xsl:when test="$cancelled">
              <xsl:apply-templates select="po:lines/po:line"/>
            </xsl:when>
            <xsl:otherwise>
              <xsl:apply-templates select="po:items/po:item"/>
            </xsl:otherwise>
          </xsl:choose>
        </OrderRequest>
      </Request>
    </cXML>
  </xsl:template>

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
      </Address>
    </ShipTo>
  </xsl:template>

  <!-- A line still ordered (update) or one deleted with the order (delete: as first ordered). -->
  <xsl:template match="po:item | po:line">
    <xsl:variable name="quantity">
      <xsl:choose>
        <xsl:when test="self::po:line"><xsl:value-of select="po:previous_quantity"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="po:quantity"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <ItemOut quantity="{$quantity}" lineNumber="{po:number}">
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
