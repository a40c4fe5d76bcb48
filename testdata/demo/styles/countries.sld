<?xml version="1.0" encoding="UTF-8"?>
<!-- Countries of the world (testdata/vector/sources.gpkg layer countries:
     fields iso_n3, the ISO 3166-1 numeric code as text, NULL for 3
     territories, and name). SLD 1.1.0 / SE 1.1.0, as GeoServer and QGIS
     write them.

     Style "countries" (the default): a pastel fill by the first digit of the
     ISO code (codes run alphabetically, so neighbours mostly differ), grey
     borders, and names: the largest countries always, with priority, the
     others only below 1:100,000,000 and where they do not collide.
     Style "countries-outline": the borders alone.
     se:Priority is GeoServer's vendor extension of TextSymbolizer: this file
     is read by tuiles and GeoServer but is not valid against the SE schema. -->
<StyledLayerDescriptor version="1.1.0"
    xmlns="http://www.opengis.net/sld"
    xmlns:se="http://www.opengis.net/se"
    xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.1.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <se:Name>countries</se:Name>
    <UserStyle>
      <se:Name>countries</se:Name>
      <se:Description>
        <se:Title>Countries by ISO code, with names</se:Title>
        <se:Abstract>Natural Earth 1:110m countries filled by the first digit of their ISO 3166-1 numeric code, grey borders, labelled with their names.</se:Abstract>
      </se:Description>
      <IsDefault>1</IsDefault>
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>iso-0xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 000–099</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>000</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>099</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#fbb4ae</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-1xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 100–199</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>100</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>199</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#b3cde3</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-2xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 200–299</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>200</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>299</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#ccebc5</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-3xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 300–399</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>300</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>399</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#decbe4</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-4xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 400–499</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>400</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>499</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#fed9a6</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-5xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 500–599</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>500</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>599</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#ffffcc</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-6xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 600–699</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>600</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>699</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#e5d8bd</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-7xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 700–799</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>700</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>799</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#fddaec</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>iso-8xx</se:Name>
          <se:Description><se:Title>ISO 3166-1 numeric 800–899</se:Title></se:Description>
          <ogc:Filter>
            <ogc:PropertyIsBetween>
              <ogc:PropertyName>iso_n3</ogc:PropertyName>
              <ogc:LowerBoundary><ogc:Literal>800</ogc:Literal></ogc:LowerBoundary>
              <ogc:UpperBoundary><ogc:Literal>899</ogc:Literal></ogc:UpperBoundary>
            </ogc:PropertyIsBetween>
          </ogc:Filter>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#c9e4ec</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>no-code</se:Name>
          <se:Description><se:Title>No ISO code (Kosovo, N. Cyprus, Somaliland)</se:Title></se:Description>
          <se:ElseFilter/>
          <se:PolygonSymbolizer>
            <se:Fill><se:SvgParameter name="fill">#d0d0d0</se:SvgParameter></se:Fill>
            <se:Stroke>
              <se:SvgParameter name="stroke">#808080</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.6</se:SvgParameter>
              <se:SvgParameter name="stroke-dasharray">3 2</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
      <!-- Labels in their own FeatureTypeStyle: the ElseFilter of the fills
           must not see the label rules. -->
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>large-countries</se:Name>
          <se:Description><se:Title>Names of large countries</se:Title></se:Description>
          <ogc:Filter>
            <ogc:Or>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Russia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Canada</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>United States of America</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>China</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Brazil</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Australia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>India</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Argentina</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Kazakhstan</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Algeria</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Dem. Rep. Congo</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Greenland</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Saudi Arabia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Mexico</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Indonesia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Sudan</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Libya</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Iran</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Mongolia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Peru</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Chad</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Niger</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Angola</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Mali</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>South Africa</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Colombia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Ethiopia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Bolivia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Egypt</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Nigeria</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Turkey</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>France</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Spain</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Sweden</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Norway</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Japan</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Pakistan</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Venezuela</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Tanzania</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Namibia</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Madagascar</ogc:Literal></ogc:PropertyIsEqualTo>
              <ogc:PropertyIsEqualTo><ogc:PropertyName>name</ogc:PropertyName><ogc:Literal>Ukraine</ogc:Literal></ogc:PropertyIsEqualTo>
            </ogc:Or>
          </ogc:Filter>
          <se:TextSymbolizer>
            <se:Label><ogc:PropertyName>name</ogc:PropertyName></se:Label>
            <se:Font>
              <se:SvgParameter name="font-family">Go</se:SvgParameter>
              <se:SvgParameter name="font-family">sans-serif</se:SvgParameter>
              <se:SvgParameter name="font-size">11</se:SvgParameter>
              <se:SvgParameter name="font-weight">bold</se:SvgParameter>
            </se:Font>
            <se:LabelPlacement>
              <se:PointPlacement>
                <se:AnchorPoint><se:AnchorPointX>0.5</se:AnchorPointX><se:AnchorPointY>0.5</se:AnchorPointY></se:AnchorPoint>
              </se:PointPlacement>
            </se:LabelPlacement>
            <se:Halo>
              <se:Radius>1.5</se:Radius>
              <se:Fill><se:SvgParameter name="fill">#ffffff</se:SvgParameter><se:SvgParameter name="fill-opacity">0.85</se:SvgParameter></se:Fill>
            </se:Halo>
            <se:Fill><se:SvgParameter name="fill">#1a1a1a</se:SvgParameter></se:Fill>
            <!-- GeoServer's vendor Priority: higher labels are placed first. -->
            <se:Priority><ogc:Literal>10</ogc:Literal></se:Priority>
          </se:TextSymbolizer>
        </se:Rule>
        <se:Rule>
          <se:Name>other-countries</se:Name>
          <se:Description><se:Title>Names of the other countries</se:Title></se:Description>
          <se:ElseFilter/>
          <se:MaxScaleDenominator>100000000</se:MaxScaleDenominator>
          <se:TextSymbolizer>
            <se:Label><ogc:PropertyName>name</ogc:PropertyName></se:Label>
            <se:Font>
              <se:SvgParameter name="font-family">Go</se:SvgParameter>
              <se:SvgParameter name="font-family">sans-serif</se:SvgParameter>
              <se:SvgParameter name="font-size">9</se:SvgParameter>
              <se:SvgParameter name="font-weight">normal</se:SvgParameter>
            </se:Font>
            <se:LabelPlacement>
              <se:PointPlacement>
                <se:AnchorPoint><se:AnchorPointX>0.5</se:AnchorPointX><se:AnchorPointY>0.5</se:AnchorPointY></se:AnchorPoint>
              </se:PointPlacement>
            </se:LabelPlacement>
            <se:Halo>
              <se:Radius>1.5</se:Radius>
              <se:Fill><se:SvgParameter name="fill">#ffffff</se:SvgParameter><se:SvgParameter name="fill-opacity">0.85</se:SvgParameter></se:Fill>
            </se:Halo>
            <se:Fill><se:SvgParameter name="fill">#333333</se:SvgParameter></se:Fill>
            <!-- GeoServer's vendor Priority: higher labels are placed first. -->
            <se:Priority><ogc:Literal>1</ogc:Literal></se:Priority>
          </se:TextSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
    </UserStyle>
    <UserStyle>
      <se:Name>countries-outline</se:Name>
      <se:Description>
        <se:Title>Country borders</se:Title>
        <se:Abstract>The borders alone, dark grey, for overlays.</se:Abstract>
      </se:Description>
      <se:FeatureTypeStyle>
        <se:Rule>
          <se:Name>border</se:Name>
          <se:Description><se:Title>Border</se:Title></se:Description>
          <se:PolygonSymbolizer>
            <se:Stroke>
              <se:SvgParameter name="stroke">#4d4d4d</se:SvgParameter>
              <se:SvgParameter name="stroke-width">0.8</se:SvgParameter>
              <se:SvgParameter name="stroke-linejoin">round</se:SvgParameter>
            </se:Stroke>
          </se:PolygonSymbolizer>
        </se:Rule>
      </se:FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
