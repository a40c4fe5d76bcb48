<?xml version="1.0" encoding="UTF-8"?>
<!-- Elevation of the demo DEM (testdata/raster/dem_lv95.tif: one Float32
     band, 1615.8 to 2015.1 m, nodata -9999, which stays transparent).
     SLD 1.0.0 with GeoServer's ColorMap type attribute (ramp, intervals or
     values), which the SLD 1.0.0 schema does not declare.
     Style "dem" (the default): a continuous hypsometric ramp.
     Style "dem-intervals": 50 m classes. -->
<StyledLayerDescriptor version="1.0.0"
    xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc"
    xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.opengis.net/sld http://schemas.opengis.net/sld/1.0.0/StyledLayerDescriptor.xsd">
  <NamedLayer>
    <Name>dem</Name>
    <UserStyle>
      <Name>dem</Name>
      <Title>Elevation, continuous colours</Title>
      <Abstract>Green valleys through yellow and brown to white summits, interpolated between 1600 and 2020 m.</Abstract>
      <IsDefault>1</IsDefault>
      <FeatureTypeStyle>
        <Rule>
          <Name>elevation</Name>
          <Title>Elevation (m)</Title>
          <RasterSymbolizer>
            <Opacity>1.0</Opacity>
            <ColorMap type="ramp">
              <ColorMapEntry color="#2e7d32" quantity="1600" label="1600 m"/>
              <ColorMapEntry color="#9ccc65" quantity="1700" label="1700 m"/>
              <ColorMapEntry color="#f4e04d" quantity="1800" label="1800 m"/>
              <ColorMapEntry color="#c98b3c" quantity="1880" label="1880 m"/>
              <ColorMapEntry color="#8d5a2b" quantity="1950" label="1950 m"/>
              <ColorMapEntry color="#ffffff" quantity="2020" label="2020 m"/>
            </ColorMap>
          </RasterSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
    <UserStyle>
      <Name>dem-intervals</Name>
      <Title>Elevation, 50 m classes</Title>
      <Abstract>The same colours in classes 50 m high: each entry colours the values below its quantity.</Abstract>
      <FeatureTypeStyle>
        <Rule>
          <Name>elevation-classes</Name>
          <Title>Elevation classes (m)</Title>
          <RasterSymbolizer>
            <Opacity>1.0</Opacity>
            <ColorMap type="intervals">
              <ColorMapEntry color="#2e7d32" quantity="1650" label="below 1650 m"/>
              <ColorMapEntry color="#66a844" quantity="1700" label="1650–1700 m"/>
              <ColorMapEntry color="#9ccc65" quantity="1750" label="1700–1750 m"/>
              <ColorMapEntry color="#cbd659" quantity="1800" label="1750–1800 m"/>
              <ColorMapEntry color="#f4e04d" quantity="1850" label="1800–1850 m"/>
              <ColorMapEntry color="#c98b3c" quantity="1900" label="1850–1900 m"/>
              <ColorMapEntry color="#8d5a2b" quantity="1950" label="1900–1950 m"/>
              <ColorMapEntry color="#c6ada0" quantity="2000" label="1950–2000 m"/>
              <ColorMapEntry color="#ffffff" quantity="2050" label="2000–2050 m"/>
            </ColorMap>
          </RasterSymbolizer>
        </Rule>
      </FeatureTypeStyle>
    </UserStyle>
  </NamedLayer>
</StyledLayerDescriptor>
