<?xml version="1.0" encoding="UTF-8"?>
<!--
  The answers of the supplier whose purchase orders custom-supplier.xsl writes: its own
  OrderConfirmation 3.2 and DespatchAdvice 3.2 layouts (no namespace, DD/MM/YYYY dates, codes
  in attributes, a count or totals trailer), read into the hub's canonical answers.
  Both layouts are described, with an example each, in README-answers.md.

  OrderConfirmation Answer@code -> ack-type: ACC -> AD (AK without lines), CHG -> AC,
  REJ -> RD (RJ without lines).
  Line Status@code -> ack code: OK IA, QC IQ, PC IP, DC DR, BO IB, SB IS, NS IR.
  DespatchNo@purpose -> purpose: NEW 00, REP 05, CAN 01.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns="urn:edihub:answer:1"
    xmlns:edihub="urn:edihub:mapping:1"
    exclude-result-prefixes="edihub">

  <edihub:answer-mapping description="Supplier OrderConfirmation and DespatchAdvice 3.2 (custom layout)"
      answers="confirmation ship-notice" reads="OrderConfirmation DespatchAdvice"/>

  <xsl:output method="xml" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/OrderConfirmation">
    <xsl:call-template name="check-version"/>
    <xsl:if test="Lines/@count and number(Lines/@count) != count(Lines/Line)">
      <xsl:message terminate="yes">OrderConfirmation Lines count="<xsl:value-of select="Lines/@count"/>" but the file holds <xsl:value-of select="count(Lines/Line)"/> lines: it may be cut short; ask the supplier to resend it</xsl:message>
    </xsl:if>
    <answer type="confirmation" version="1">
      <po-number><xsl:value-of select="Header/OrderNo"/></po-number>
      <ack-type><xsl:call-template name="ack-type"/></ack-type>
      <date>
        <xsl:call-template name="iso-date">
          <xsl:with-param name="value" select="Header/ConfirmationDate"/>
          <xsl:with-param name="what" select="'ConfirmationDate'"/>
        </xsl:call-template>
      </date>
      <reference><xsl:value-of select="Header/ConfirmationNo"/></reference>
      <xsl:apply-templates select="Lines/Line" mode="confirmation"/>
    </answer>
  </xsl:template>

  <xsl:template name="ack-type">
    <xsl:variable name="code" select="Header/Answer/@code"/>
    <xsl:choose>
      <xsl:when test="$code = 'ACC' and Lines/Line">AD</xsl:when>
      <xsl:when test="$code = 'ACC'">AK</xsl:when>
      <xsl:when test="$code = 'CHG'">AC</xsl:when>
      <xsl:when test="$code = 'REJ' and Lines/Line">RD</xsl:when>
      <xsl:when test="$code = 'REJ'">RJ</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">unknown OrderConfirmation Answer code "<xsl:value-of select="$code"/>" (the layout's codes are ACC, CHG, REJ)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="Line" mode="confirmation">
    <line>
      <line-number><xsl:value-of select="@no"/></line-number>
      <quantity><xsl:value-of select="@qty"/></quantity>
      <unit-price><xsl:value-of select="Price"/></unit-price>
      <buyer-item><xsl:value-of select="Item/@ourCode"/></buyer-item>
      <vendor-item><xsl:value-of select="Item/@code"/></vendor-item>
      <xsl:for-each select="Status">
        <ack>
          <code><xsl:call-template name="status-code"/></code>
          <quantity><xsl:value-of select="@qty"/></quantity>
          <uom><xsl:value-of select="../@unit"/></uom>
          <date>
            <xsl:call-template name="iso-date">
              <xsl:with-param name="value" select="@ship"/>
              <xsl:with-param name="what" select="concat('Line ', ../@no, ' Status ship')"/>
            </xsl:call-template>
          </date>
        </ack>
      </xsl:for-each>
    </line>
  </xsl:template>

  <xsl:template name="status-code">
    <xsl:choose>
      <xsl:when test="@code = 'OK'">IA</xsl:when>
      <xsl:when test="@code = 'QC'">IQ</xsl:when>
      <xsl:when test="@code = 'PC'">IP</xsl:when>
      <xsl:when test="@code = 'DC'">DR</xsl:when>
      <xsl:when test="@code = 'BO'">IB</xsl:when>
      <xsl:when test="@code = 'SB'">IS</xsl:when>
      <xsl:when test="@code = 'NS'">IR</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">Line <xsl:value-of select="../@no"/>: unknown Status code "<xsl:value-of select="@code"/>" (the layout's codes are OK, QC, PC, DC, BO, SB, NS)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="/DespatchAdvice">
    <xsl:call-template name="check-version"/>
    <xsl:variable name="lines" select="Orders/Order/Line"/>
    <!-- A short file still parses when cut at an element boundary: the trailer tells. -->
    <!-- Units are compared only when every qty is a number; the hub reports a bad qty itself. -->
    <xsl:if test="Totals and (number(Totals/@lines) != count($lines)
                              or (sum($lines/@qty) = sum($lines/@qty)
                                  and number(Totals/@units) != sum($lines/@qty)))">
      <xsl:message terminate="yes">DespatchAdvice Totals say <xsl:value-of select="Totals/@lines"/> lines and <xsl:value-of select="Totals/@units"/> units but the file holds <xsl:value-of select="count($lines)"/> lines and <xsl:value-of select="sum($lines/@qty)"/> units: it may be cut short; ask the supplier to resend it</xsl:message>
    </xsl:if>
    <answer type="ship-notice" version="1">
      <shipment-id><xsl:value-of select="Header/DespatchNo"/></shipment-id>
      <purpose><xsl:call-template name="purpose"/></purpose>
      <date><xsl:value-of select="substring(Header/MessageRef/@created, 1, 10)"/></date>
      <shipped-at>
        <xsl:call-template name="iso-date">
          <xsl:with-param name="value" select="Header/DespatchDate"/>
          <xsl:with-param name="what" select="'DespatchDate'"/>
        </xsl:call-template>
        <xsl:if test="normalize-space(Header/DespatchDate/@time)">
          <xsl:value-of select="concat('T', normalize-space(Header/DespatchDate/@time))"/>
        </xsl:if>
      </shipped-at>
      <expected-delivery>
        <xsl:call-template name="iso-date">
          <xsl:with-param name="value" select="Header/DeliveryDue"/>
          <xsl:with-param name="what" select="'DeliveryDue'"/>
        </xsl:call-template>
      </expected-delivery>
      <carrier><xsl:value-of select="Header/Carrier/@scac"/></carrier>
      <service><xsl:value-of select="Header/Carrier/@service"/></service>
      <xsl:for-each select="Header/Tracking">
        <tracking-number><xsl:value-of select="."/></tracking-number>
      </xsl:for-each>
      <bill-of-lading><xsl:value-of select="Header/Waybill"/></bill-of-lading>
      <xsl:apply-templates select="Orders/Order"/>
    </answer>
  </xsl:template>

  <xsl:template name="purpose">
    <xsl:variable name="purpose" select="Header/DespatchNo/@purpose"/>
    <xsl:choose>
      <xsl:when test="not(normalize-space($purpose)) or $purpose = 'NEW'">00</xsl:when>
      <xsl:when test="$purpose = 'REP'">05</xsl:when>
      <xsl:when test="$purpose = 'CAN'">01</xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes">unknown DespatchNo purpose "<xsl:value-of select="$purpose"/>" (the layout's codes are NEW, REP, CAN)</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="Order">
    <order>
      <po-number><xsl:value-of select="@no"/></po-number>
      <xsl:for-each select="Line">
        <item>
          <line-number><xsl:value-of select="@no"/></line-number>
          <buyer-item><xsl:value-of select="Item/@ourCode"/></buyer-item>
          <vendor-item><xsl:value-of select="Item/@code"/></vendor-item>
          <quantity><xsl:value-of select="@qty"/></quantity>
          <uom><xsl:value-of select="@unit"/></uom>
          <xsl:for-each select="Parcel/@sscc">
            <mark><xsl:value-of select="."/></mark>
          </xsl:for-each>
        </item>
      </xsl:for-each>
    </order>
  </xsl:template>

  <xsl:template name="check-version">
    <xsl:if test="not(@version = '3.2')">
      <xsl:message terminate="yes"><xsl:value-of select="name()"/> version "<xsl:value-of select="@version"/>" is not 3.2, the version this mapping reads; ask the supplier which layout changed</xsl:message>
    </xsl:if>
  </xsl:template>

  <!-- DD/MM/YYYY -> CCYY-MM-DD; empty stays empty. The calendar check is the hub's. -->
  <xsl:template name="iso-date">
    <xsl:param name="value"/>
    <xsl:param name="what"/>
    <xsl:variable name="v" select="normalize-space($value)"/>
    <xsl:choose>
      <xsl:when test="$v = ''"/>
      <xsl:when test="string-length($v) = 10 and substring($v, 3, 1) = '/'
                      and substring($v, 6, 1) = '/'
                      and translate(concat(substring($v, 1, 2), substring($v, 4, 2),
                                           substring($v, 7, 4)), '0123456789', '') = ''">
        <xsl:value-of select="concat(substring($v, 7, 4), '-', substring($v, 4, 2), '-',
                                     substring($v, 1, 2))"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:message terminate="yes"><xsl:value-of select="$what"/> "<xsl:value-of select="$v"/>" is not a DD/MM/YYYY date</xsl:message>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- Tried when the mapping loads. -->
  <edihub:sample>
    <OrderConfirmation xmlns="" version="3.2" test="Y">
      <Header>
        <MessageRef created="2025-03-04T11:00:00+00:00">OC-1</MessageRef>
        <OrderNo>PO-SAMPLE-1</OrderNo>
        <ConfirmationNo>SO-1</ConfirmationNo>
        <ConfirmationDate>04/03/2025</ConfirmationDate>
        <Account>sample-account-number</Account>
        <Answer code="CHG"/>
      </Header>
      <Lines count="1">
        <Line no="2" qty="2" unit="EA">
          <Item code="SUP-2" ourCode="SKU-2"/>
          <Price>13.50</Price>
          <Status code="OK" qty="1" ship="06/03/2025"/>
          <Status code="BO" qty="1" ship="20/03/2025"/>
        </Line>
      </Lines>
    </OrderConfirmation>
  </edihub:sample>
  <edihub:sample>
    <DespatchAdvice xmlns="" version="3.2" test="Y">
      <Header>
        <MessageRef created="2025-03-06T16:00:00+00:00">DA-1</MessageRef>
        <DespatchNo purpose="NEW">DN-1</DespatchNo>
        <DespatchDate time="15:00">06/03/2025</DespatchDate>
        <DeliveryDue>08/03/2025</DeliveryDue>
        <Account>sample-account-number</Account>
        <Carrier scac="UPSN" service="GND">UPS</Carrier>
        <Tracking>1Z999AA10123456784</Tracking>
      </Header>
      <Orders count="1">
        <Order no="PO-SAMPLE-1">
          <Line no="1" qty="1" unit="EA">
            <Item code="SUP-1" ourCode="SKU-1"/>
            <Parcel sscc="003456789012345670"/>
          </Line>
        </Order>
      </Orders>
      <Totals lines="1" units="1"/>
    </DespatchAdvice>
  </edihub:sample>
</xsl:stylesheet>
