<?xml version="1.0" encoding="UTF-8"?>
<StyledLayerDescriptor version="1.0.0"
    xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <Name>departements</Name>
    <UserStyle>
      <Name>regions</Name>
      <Title>Départements, Île-de-France highlighted, with names</Title>
      <IsDefault>1</IsDefault>
      <FeatureTypeStyle>
        <Rule>
          <Name>ile-de-france</Name>
          <ogc:Filter>
            <ogc:PropertyIsEqualTo><ogc:PropertyName>code_region</ogc:PropertyName><ogc:Literal>11</ogc:Literal></ogc:PropertyIsEqualTo>
          </ogc:Filter>
          <PolygonSymbolizer>
            <Fill><CssParameter name="fill">#f4a259</CssParameter></Fill>
            <Stroke><CssParameter name="stroke">#5b4636</CssParameter><CssParameter name="stroke-width">0.8</CssParameter></Stroke>
          </PolygonSymbolizer>
        </Rule>
        <Rule>
          <Name>others</Name>
          <ElseFilter/>
          <PolygonSymbolizer>
            <Fill><CssParameter name="fill">#bcd4a6</CssParameter></Fill>
            <Stroke><CssParameter name="stroke">#5b4636</CssParameter><CssParameter name="stroke-width">0.8</CssParameter></Stroke>
          </PolygonSymbolizer>
        </Rule>
      </FeatureTypeStyle>
      <!-- Labels in their own FeatureTypeStyle: a rule without a filter
           matches every feature, which would keep the ElseFilter above
           from ever applying. -->
      <FeatureTypeStyle>
        <Rule>
          <Name>labels</Name>
          <MaxScaleDenominator>5000000</MaxScaleDenominator>
          <TextSymbolizer>
            <Label><ogc:PropertyName>nom</ogc:PropertyName></Label>
            <Font><CssParameter name="font-family">Go</CssParameter><CssParameter name="font-size">11</CssParameter></Font>
            <Halo><Radius>1.5</Radius><Fill><CssParameter name="fill">#ffffff</CssParameter></Fill></Halo>
            <Fill><CssParameter name="fill">#222222</CssParameter></Fill>
          </TextSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
