package feedback

// districtNames are Beijing's sixteen districts by administrative code, for
// printed reports (routing owns the reference data; these names do not change).
var districtNames = map[string]string{
	"110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110106": "丰台区",
	"110107": "石景山区", "110108": "海淀区", "110109": "门头沟区", "110111": "房山区",
	"110112": "通州区", "110113": "顺义区", "110114": "昌平区", "110115": "大兴区",
	"110116": "怀柔区", "110117": "平谷区", "110118": "密云区", "110119": "延庆区",
}

// departmentNames are the department codes' Chinese names (DESIGN "Seed data").
var departmentNames = map[string]string{
	"police": "公安", "urban-management": "城管", "environment": "生态环境",
	"market-regulation": "市场监管", "housing": "住建", "transport": "交通",
	"water": "水务", "emergency": "应急", "district-government": "区政府（兜底）",
}

// DistrictName is the district's Chinese name, or its code when unknown.
func DistrictName(code string) string {
	if n, ok := districtNames[code]; ok {
		return n
	}
	return code
}

// DepartmentName is the department's Chinese name, or its code when unknown.
func DepartmentName(code string) string {
	if n, ok := departmentNames[code]; ok {
		return n
	}
	return code
}
