<?xml version="1.0" encoding="UTF-8"?>
<!--
  cXML 1.2 ShipNoticeRequest (Fulfill.dtd) -> the hub's canonical ship-notice answer.

  ShipNoticeHeader@shipmentID -> shipment-id; @operation new / update / delete -> purpose
  00 / 05 / 01; @noticeDate -> date; @shipmentDate -> shipped-at (offset kept);
  @deliveryDate -> expected-delivery; ServiceLevel -> service.
  ShipControl/CarrierIdentifier: the SCAC one (domain="SCAC") -> carrier, else the first one.
  ShipControl/ShipmentIdentifier: without a domain or with domain="trackingNumber" -> tracking
  numbers (every ShipControl, in order); domain="billOfLading" -> bill-of-lading.
  ShipNoticePortion/OrderReference@orderID -> the order's po-number. ShipNoticeItem@lineNumber,
  @quantity, UnitOfMeasure, ItemID/SupplierPartID and BuyerPartID, and the SSCCs in
  Packaging/ShippingContainerSerialCode -> items. A portion without ShipNoticeItem ships the
  whole order: the order then has no items.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:edihub:answer:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="edihub">

  <edihub:answer-mapping description="cXML 1.2 ShipNoticeRequest"
      answers="ship-notice" reads="cXML/Request/ShipNoticeRequest"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/">
    <xsl:apply-templates select="cXML/Request/ShipNoticeRequest"/>
  </xsl:template>

  <xsl:template match="ShipNoticeRequest">
    <xsl:variable name="header" select="ShipNoticeHeader"/>
    <xsl:variable name="carriers" select="ShipControl/CarrierIdentifier"/>
    <answer type="ship-notice" version="1">
      <shipment-id><xsl:value-of select="$header/@shipmentID"/></shipment-id>
      <purpose><xsl:call-template name="purpose"/></purpose>
      <date><xsl:value-of select="substring($header/@noticeDate, 1, 10)"/></date>
      <shipped-at><xsl:value-of select="$header/@shipmentDate"/></shipped-at>
      <expected-delivery><xsl:value-of select="substring($header/@deliveryDate, 1, 10)"/></expected-delivery>
      <carrier>
        <xsl:choose>
          <xsl:when test="$carriers[@domain = 'SCAC']">
            <xsl:value-of select="$carriers[@domain = 'SCAC']"/>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="$carriers"/></xsl:otherwise>
        </xsl:choose>
      </carrier>
      <service><xsl:value-of select="$header/ServiceLevel"/></service>
      <xsl:for-each select="ShipControl/ShipmentIdentifier[not(normalize-space(@domain))
                                                            or @domain = 'trackingNumber']">
        <tracking-number><xsl:value-of select="."/></tracking-number>
      </xsl:for-each>
      <bill-of-lading>
        <xsl:value-of select="ShipControl/ShipmentIdentifier[@domain = 'billOfLading']"/>
      </bill-of-lading>
      <xsl:apply-templates select="ShipNoticePortion"/>
    </answer>
  </xsl:template>

  <xsl:template name="purpose">
    <xsl:variable name="operation" select="ShipNoticeHeader/@operation"/>
    <xsl:choose>
      <xsl:when test="not(normalize-space($operation)) or $operation = 'new'">00</xsl:when>
      <xsl:when test="$operation = 'update'">05</xsl:when>
      <xsl:when test="$operation = 'delete'">01</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">unknown ShipNoticeHeader operation "<xsl:value-of select="$operation"/>" (cXML knows new, update, delete)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="ShipNoticePortion">
    <order>
      <po-number><xsl:value-of select="OrderReference/@orderID"/></po-number>
      <xsl:for-each select="ShipNoticeItem">
        <item>
          <line-number><xsl:value-of select="@lineNumber"/></line-number>
          <buyer-item><xsl:value-of select="ItemID/BuyerPartID"/></buyer-item>
          <vendor-item><xsl:value-of select="ItemID/SupplierPartID"/></vendor-item>
          <quantity><xsl:value-of select="@quantity"/></quantity>
          <uom><xsl:value-of select="UnitOfMeasure"/></uom>
          <xsl:for-each select="Packaging/ShippingContainerSerialCode">
            <mark><xsl:value-of select="."/></mark>
          </xsl:for-each>
        </item>
      </xsl:for-each>
    </order>
  </xsl:template>

  <!-- Tried when the mapping loads: one order, one item in one carton. -->
  <edihub:sample>
    <cXML xmlns="" payloadID="sample-shipnotice@supplier.example" timestamp="2025-03-06T16:00:00+00:00">
      <Header>
        <From><Credential domain="NetworkId"><Identity>AN-SUPPLIER</Identity></Credential></From>
        <To><Credential domain="NetworkId"><Identity>AN-BUYER</Identity></Credential></To>
        <Sender><Credential domain="NetworkId"><Identity>AN-SUPPLIER</Identity></Credential>
          <UserAgent>sample</UserAgent></Sender>
      </Header>
      <Request>
        <ShipNoticeRequest>
          <ShipNoticeHeader shipmentID="S-1" noticeDate="2025-03-06T16:00:00+00:00"
              shipmentDate="2025-03-06T15:00:00+00:00" deliveryDate="2025-03-08T12:00:00+00:00">
            <ServiceLevel xml:lang="en">Ground</ServiceLevel>
          </ShipNoticeHeader>
          <ShipControl>
            <CarrierIdentifier domain="SCAC">UPSN</CarrierIdentifier>
            <ShipmentIdentifier>1Z999AA10123456784</ShipmentIdentifier>
          </ShipControl>
          <ShipNoticePortion>
            <OrderReference orderID="PO-SAMPLE-1"><DocumentReference payloadID="sample-po"/></OrderReference>
            <ShipNoticeItem lineNumber="1" quantity="1">
              <ItemID><SupplierPartID>SUP-1</SupplierPartID></ItemID>
              <UnitOfMeasure>EA</UnitOfMeasure>
              <Packaging><ShippingContainerSerialCode>003456789012345670</ShippingContainerSerialCode></Packaging>
            </ShipNoticeItem>
          </ShipNoticePortion>
        </ShipNoticeRequest>
      </Request>
    </cXML>
  </edihub:sample>
</xsl:stylesheet>
