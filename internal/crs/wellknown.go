package crs

// wellKnown holds PROJ's answers for the CRSs this server meets on nearly
// every request (the WMTS/TMS sets' CRSs, WFS defaults and French grids),
// so that a BBOX or SRSNAME does not open PROJ's database each time.
// TestWellKnownMatchesPROJ keeps them equal to what PROJ says.
func wellKnown(c CRS) (Info, bool) {
	world := Bounds{MinX: -180, MinY: -90, MaxX: 180, MaxY: 90}
	france := Bounds{MinX: -9.86, MinY: 41.15, MaxX: 10.38, MaxY: 51.56}
	europe := Bounds{MinX: -16.1, MinY: 32.88, MaxX: 40.18, MaxY: 84.73}
	info := Info{CRS: c}
	switch c {
	case WGS84:
		info.Name, info.Geographic, info.NorthingFirst, info.AreaOfUse = "WGS 84", true, true, world
	case CRS84:
		info.Name, info.Geographic, info.AreaOfUse = "WGS 84 (CRS84)", true, world
	case WebMercator:
		info.Name, info.AreaOfUse = "WGS 84 / Pseudo-Mercator", Bounds{MinX: -180, MinY: -85.06, MaxX: 180, MaxY: 85.06}
	case Lambert93:
		info.Name, info.AreaOfUse = "RGF93 v1 / Lambert-93", france
	case CRS{"EPSG", "4171"}:
		info.Name, info.Geographic, info.NorthingFirst, info.AreaOfUse = "RGF93 v1", true, true, france
	case CRS{"EPSG", "4258"}:
		info.Name, info.Geographic, info.NorthingFirst, info.AreaOfUse = "ETRS89", true, true, europe
	case CRS{"EPSG", "3035"}:
		info.Name, info.NorthingFirst, info.AreaOfUse = "ETRS89-extended / LAEA Europe", true, Bounds{MinX: -35.58, MinY: 24.6, MaxX: 44.83, MaxY: 84.73}
	default:
		return Info{}, false
	}
	info.MetersPerUnit = 1
	if info.Geographic {
		info.MetersPerUnit = MetersPerDegree
	}
	return info, true
}
