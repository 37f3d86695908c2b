<?xml version="1.0" encoding="UTF-8"?>
<!--
  A supplier's own purchase-order layout (version 3.2 of its "PurchaseOrder" format), as a
  typical small supplier publishes it: no namespace, day-first dates (DD/MM/YYYY), codes in
  attributes, two-decimal prices, a totals trailer.

  Partner file, for example:
    [xml]
    mapping = "xml/custom-supplier.xsl"
    params = { account-number = "ER-20417" }
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:po="urn:edihub:purchase-order:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="po edihub">

  <edihub:mapping
      description="Supplier PurchaseOrder 3.2 (custom layout)"
      requires="po.number po.date order.currency ship_to.name ship_to.address1 ship_to.city
                ship_to.postal_code ship_to.country line.number line.quantity line.uom line.unit_cost
                line.supplier_item"
      params="account-number"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:param name="document-id"/>
  <xsl:param name="timestamp"/>
  <xsl:param name="test" select="'0'"/>
  <!-- Our customer account at the supplier. -->
  <xsl:param name="account-number"/>

  <xsl:template match="/po:purchase-order">
    <xsl:variable name="date" select="po:po/po:date"/>
    <!-- The supplier rejects a whole file on a bad date: stop here with a readable reason. -->
    <xsl:if test="string-length($date) != 8 or translate($date, '0123456789', '') != ''">
      <xsl:message terminate="yes">po.date must be CCYYMMDD to write the supplier's DD/MM/YYYY order date</xsl:message>
    </xsl:if>
    <PurchaseOrder version="3.2">
      <xsl:attribute name="test">
        <xsl:choose>
          <xsl:when test="$test = '1'">Y</xsl:when>
          <xsl:otherwise>N</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <Header>
        <MessageRef created="{$timestamp}"><xsl:value-of select="$document-id"/></MessageRef>
        <OrderNo><xsl:value-of select="po:po/po:number"/></OrderNo>
        <OrderDate>
          <xsl:value-of select="concat(substring($date, 7, 2), '/', substring($date, 5, 2), '/',
                                       substring($date, 1, 4))"/>
        </OrderDate>
        <Account><xsl:value-of select="$account-number"/></Account>
        <CustomerRef channel="{po:order/po:channel}">
          <xsl:value-of select="po:order/po:channel_order_id"/>
        </CustomerRef>
        <Currency code="{po:order/po:currency}"/>
        <xsl:apply-templates select="po:ship_to"/>
      </Header>
      <Lines count="{count(po:lines/po:line)}">
        <xsl:apply-templates select="po:lines/po:line"/>
      </Lines>
      <Totals units="{po:po/po:quantity_total}"
              value="{format-number(po:po/po:cost_total, '0.00')}"/>
    </PurchaseOrder>
  </xsl:template>

  <xsl:template match="po:ship_to">
    <DropShip>
      <Recipient><xsl:value-of select="po:name"/></Recipient>
      <AddressLine seq="1"><xsl:value-of select="po:address1"/></AddressLine>
      <xsl:if test="normalize-space(po:address2)">
        <AddressLine seq="2"><xsl:value-of select="po:address2"/></AddressLine>
      </xsl:if>
      <Town><xsl:value-of select="po:city"/></Town>
      <xsl:if test="normalize-space(po:state)">
        <Region><xsl:value-of select="po:state"/></Region>
      </xsl:if>
      <Postcode><xsl:value-of select="po:postal_code"/></Postcode>
      <Country><xsl:value-of select="po:country"/></Country>
      <xsl:if test="normalize-space(../po:customer/po:phone)">
        <Phone><xsl:value-of select="../po:customer/po:phone"/></Phone>
      </xsl:if>
      <xsl:if test="normalize-space(../po:customer/po:email)">
        <Email><xsl:value-of select="../po:customer/po:email"/></Email>
      </xsl:if>
    </DropShip>
  </xsl:template>

  <xsl:template match="po:line">
    <Line no="{po:number}" qty="{po:quantity}" unit="{po:uom}">
      <Item code="{po:supplier_item}">
        <xsl:if test="normalize-space(po:sku)">
          <xsl:attribute name="ourCode"><xsl:value-of select="po:sku"/></xsl:attribute>
        </xsl:if>
      </Item>
      <Description><xsl:value-of select="po:description"/></Description>
      <Price><xsl:value-of select="format-number(po:unit_cost, '0.00')"/></Price>
      <Value><xsl:value-of select="format-number(po:extended_cost, '0.00')"/></Value>
    </Line>
  </xsl:template>
</xsl:stylesheet>
