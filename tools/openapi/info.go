package main

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Title names the API; DevVersion is info.version in the committed document.
// The gateway serves it with the build's version (platform/version) instead.
const (
	Title      = "Whistle 吹哨报到 API"
	DevVersion = "dev"
)

const description = `吹哨报到的公开 REST 接口：街道乡镇“吹哨”，职能部门“报到”，
派单、签收、到场、办结、评价与考核。除标注为公开的接口外，每个请求都需要
` + "`Authorization: Bearer <JWT>`" + `（单点登录或开发令牌签发）。出错时统一返回
` + "`{\"error\":{\"code\":\"INVALID_ARGUMENT\",\"message\":\"...\",\"details\":[{\"field\":\"...\",\"reason\":\"...\"}]}}`" + `。
吹哨（POST /v1/whistles）可带 ` + "`Idempotency-Key`" + ` 请求头，重复提交只生效一次。

The public REST API of Whistle (吹哨报到): streets and townships "blow the
whistle", departments "report for duty"; dispatch, acknowledge, arrive,
resolve, rate and score. Every request needs ` + "`Authorization: Bearer <JWT>`" + `
(issued by the sign-in or, in development, by POST /v1/dev/tokens) except the
operations marked public (` + "`security: []`" + `). Every error answers one JSON
shape, the Error schema. Raising a whistle accepts an ` + "`Idempotency-Key`" + ` header. Field
names are snake_case; enums are their names; 64-bit integers are strings; every
field of a response is present (unset ones carry their zero value). The served
document's info.version is the build of the gateway serving it.`

// describe sets the title, the bilingual description and the tags' descriptions.
func describe(doc *openapi3.T) {
	doc.Info = &openapi3.Info{
		Title:       Title,
		Version:     DevVersion,
		Description: description,
		License:     &openapi3.License{Name: "Proprietary"},
	}
	tags := map[string]string{
		"IntakeService":   "吹哨：街道发起、查询、撤回、评价。Whistles: raise, read, cancel, rate.",
		"ReportService":   "发现与接诉：上报、分拣、12345 工单、回访与公开结果。Discovery: reports, triage, 12345 tickets, follow-ups, public results.",
		"DispatchService": "报到：部门签收、到场、办结、退单、延期。Dispatches: acknowledge, arrive, resolve, return, extend.",
		"SlaAdminService": "时限、排班、回调与服务账号。SLA policies, roster, webhooks and service accounts.",
		"RoutingService":  "区划、街道、部门与分类目录。Districts, streets, departments and the category catalogue.",
		"FeedbackService": "时间线、考核与报表。Timelines, scorecards and reports.",
		"Edge":            "网关自有接口：文件上传下载、事件流、令牌、版本。The gateway's own routes: files, the event stream, tokens, version.",
		"Open311":         "Open311 GeoReport v2（公开，按其规范）。Open311 GeoReport v2 (public, per its specification).",
		"SignIn":          "单点登录（浏览器跳转）。OIDC sign-in (browser redirects).",
	}
	names := make([]string, 0, len(tags))
	for _, t := range doc.Tags {
		names = append(names, t.Name)
	}
	for name := range tags {
		if !slices.Contains(names, name) {
			doc.Tags = append(doc.Tags, &openapi3.Tag{Name: name})
		}
	}
	slices.SortFunc(doc.Tags, func(a, b *openapi3.Tag) int { return strings.Compare(a.Name, b.Name) })
	for _, t := range doc.Tags {
		if d, ok := tags[t.Name]; ok {
			t.Description = d
		}
	}
}
