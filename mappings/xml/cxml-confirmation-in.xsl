<?xml version="1.0" encoding="UTF-8"?>
<!--
  cXML 1.2 ConfirmationRequest (Fulfill.dtd) -> the hub's canonical confirmation answer.

  ConfirmationHeader@type -> ack-type (BAK02):
    accept        AK without ConfirmationItem, AD with items (accepted, detail, no change)
    detail        AC (only the lines listed change; the others keep their status)
    allDetail     AC (every line's full detail; compare prices and dates with the PO)
    except        AE (all accepted except the lines listed)
    replace       AC
    backordered   AC with the lines' IB acks; without items the hub stops: it needs the lines
    reject        RJ without items, RD with items
    requestToPay  stopped: a payment request, not an answer to the order
  ConfirmationStatus@type -> ack code (ACK01):
    accept IA, allDetail IA, backordered IB, reject IR,
    detail: IS with ItemIn (substitution), IC with UnitPrice and a date, IP with UnitPrice,
            DR with shipmentDate or deliveryDate only, IC otherwise (tax or shipping change),
    unknown: no ack (that quantity stays unanswered).
  Ack date: shipmentDate (as ACK04 068), else deliveryDate; the date part of the cXML time.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:edihub:answer:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="edihub">

  <edihub:answer-mapping description="cXML 1.2 ConfirmationRequest"
      answers="confirmation" reads="cXML/Request/ConfirmationRequest"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/">
    <xsl:apply-templates select="cXML/Request/ConfirmationRequest"/>
  </xsl:template>

  <xsl:template match="ConfirmationRequest">
    <answer type="confirmation" version="1">
      <po-number><xsl:value-of select="OrderReference/@orderID"/></po-number>
      <ack-type><xsl:call-template name="ack-type"/></ack-type>
      <date><xsl:value-of select="substring(ConfirmationHeader/@noticeDate, 1, 10)"/></date>
      <reference><xsl:value-of select="ConfirmationHeader/@confirmID"/></reference>
      <xsl:apply-templates select="ConfirmationItem"/>
    </answer>
  </xsl:template>

  <xsl:template name="ack-type">
    <xsl:variable name="type" select="ConfirmationHeader/@type"/>
    <xsl:variable name="items" select="count(ConfirmationItem)"/>
    <xsl:choose>
      <xsl:when test="$type = 'accept' and $items = 0">AK</xsl:when>
      <xsl:when test="$type = 'accept'">AD</xsl:when>
      <xsl:when test="$type = 'detail' or $type = 'allDetail' or $type = 'replace'">AC</xsl:when>
      <xsl:when test="$type = 'except'">AE</xsl:when>
      <xsl:when test="$type = 'backordered' and $items &gt; 0">AC</xsl:when>
      <xsl:when test="$type = 'backordered'">
        <xsl:message terminate="yes">the supplier reports the whole order backordered (ConfirmationHeader type="backordered") without ConfirmationItem lines; ask the supplier for a confirmation listing the lines and their dates</xsl:message>
      </xsl:when>
      <xsl:when test="$type = 'reject' and $items = 0">RJ</xsl:when>
      <xsl:when test="$type = 'reject'">RD</xsl:when>
      <xsl:when test="$type = 'requestToPay'">
        <xsl:message terminate="yes">ConfirmationHeader type="requestToPay" is a request for payment, not an answer to the order; the hub does not read it</xsl:message>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">unknown ConfirmationHeader type "<xsl:value-of select="$type"/>" (cXML knows accept, allDetail, detail, backordered, except, reject, requestToPay, replace)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="ConfirmationItem">
    <line>
      <line-number><xsl:value-of select="@lineNumber"/></line-number>
      <quantity><xsl:value-of select="@quantity"/></quantity>
      <!-- A price change, or the full detail of an allDetail or substitution line. -->
      <unit-price>
        <xsl:value-of select="(ConfirmationStatus/UnitPrice/Money
                               | ConfirmationStatus/ItemIn/ItemDetail/UnitPrice/Money)[1]"/>
      </unit-price>
      <buyer-item><xsl:value-of select="ConfirmationStatus/ItemIn/ItemID/BuyerPartID"/></buyer-item>
      <vendor-item><xsl:value-of select="ConfirmationStatus/ItemIn/ItemID/SupplierPartID"/></vendor-item>
      <xsl:apply-templates select="ConfirmationStatus[@type != 'unknown']"/>
    </line>
  </xsl:template>

  <xsl:template match="ConfirmationStatus">
    <ack>
      <code><xsl:call-template name="status-code"/></code>
      <quantity><xsl:value-of select="@quantity"/></quantity>
      <uom><xsl:value-of select="UnitOfMeasure"/></uom>
      <date>
        <xsl:choose>
          <xsl:when test="normalize-space(@shipmentDate)">
            <xsl:value-of select="substring(@shipmentDate, 1, 10)"/>
          </xsl:when>
          <xsl:otherwise><xsl:value-of select="substring(@deliveryDate, 1, 10)"/></xsl:otherwise>
        </xsl:choose>
      </date>
    </ack>
  </xsl:template>

  <xsl:template name="status-code">
    <xsl:variable name="dated" select="normalize-space(@shipmentDate) or normalize-space(@deliveryDate)"/>
    <xsl:choose>
      <xsl:when test="@type = 'accept' or @type = 'allDetail'">IA</xsl:when>
      <xsl:when test="@type = 'backordered'">IB</xsl:when>
      <xsl:when test="@type = 'reject'">IR</xsl:when>
      <xsl:when test="@type = 'detail' and ItemIn">IS</xsl:when>
      <xsl:when test="@type = 'detail' and UnitPrice and $dated">IC</xsl:when>
      <xsl:when test="@type = 'detail' and UnitPrice">IP</xsl:when>
      <xsl:when test="@type = 'detail' and $dated">DR</xsl:when>
      <xsl:when test="@type = 'detail'">IC</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">line <xsl:value-of select="../@lineNumber"/>: unknown ConfirmationStatus type "<xsl:value-of select="@type"/>" (cXML knows accept, allDetail, detail, backordered, reject, unknown)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Tried when the mapping loads: a partial acceptance with a backorder. -->
  <edihub:sample>
    <cXML xmlns="" payloadID="sample-confirmation@supplier.example" timestamp="2025-03-05T09:00:00+00:00">
      <Header>
        <From><Credential domain="NetworkId"><Identity>AN-SUPPLIER</Identity></Credential></From>
        <To><Credential domain="NetworkId"><Identity>AN-BUYER</Identity></Credential></To>
        <Sender><Credential domain="NetworkId"><Identity>AN-SUPPLIER</Identity></Credential>
          <UserAgent>sample</UserAgent></Sender>
      </Header>
      <Request>
        <ConfirmationRequest>
          <ConfirmationHeader type="detail" noticeDate="2025-03-05T09:00:00+00:00" confirmID="C-1"/>
          <OrderReference orderID="PO-SAMPLE-1"><DocumentReference payloadID="sample-po"/></OrderReference>
          <ConfirmationItem lineNumber="2" quantity="2">
            <UnitOfMeasure>EA</UnitOfMeasure>
            <ConfirmationStatus type="accept" quantity="1"><UnitOfMeasure>EA</UnitOfMeasure></ConfirmationStatus>
            <ConfirmationStatus type="backordered" quantity="1" deliveryDate="2025-03-20T12:00:00+00:00">
              <UnitOfMeasure>EA</UnitOfMeasure></ConfirmationStatus>
          </ConfirmationItem>
        </ConfirmationRequest>
      </Request>
    </cXML>
  </edihub:sample>
</xsl:stylesheet>
