package main

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Examples are generated from each schema with realistic values chosen by
// field name (a street's nine-digit township code, a department's code, a
// Beijing location), so every operation shows a request and an answer a
// client could have sent and received.

const exampleID = "0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f"

// exampleStrings are string values by field name.
var exampleStrings = map[string]string{
	"street_id": "110101001", "district_id": "110101", "grid_id": "110101001-03", "category": "street-vending",
	"department": "urban-management", "lead_department": "urban-management", "from_department": "police",
	"return_department": "transport", "title": "东华门大街早市占道经营", "description": "东华门大街路口早市摊位占用人行道，行人只能走机动车道。",
	"address": "东城区东华门大街 12 号", "name": "东华门街道", "name_en": "Donghuamen Subdistrict", "comment": "处理及时，路口已经畅通。",
	"feedback_comment": "处理及时，路口已经畅通。", "note": "已联系城管中队", "reason": "不属于本部门职责", "return_reason": "不属于本部门职责",
	"resolution": "已清理占道摊位并设置提示牌", "resolution_summary": "已清理占道摊位并设置提示牌", "message": "ok", "decision_note": "同意延期两天",
	"contact_name": "王女士", "contact_phone": "13800138000", "phone": "13800138000", "person": "张伟", "seat": "东城区12345分中心 3 号席",
	"url": "https://hooks.example.gov.cn/whistle", "token": "q7Xv2mP9sK4tW8yZ", "follow_up_token": "q7Xv2mP9sK4tW8yZ",
	"secret": "whsec_MfKQ9r8GKYqXJYFpQ3J8Q0C0qhGXrZVj", "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"prev_hash": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752", "source_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	"month": "2026-11", "date": "2026-12-07", "external_number": "GD20261207001", "csv": "工单编号,标题,内容\r\nGD20261207001,占道经营,东华门大街路口早市占道\r\n",
	"geojson": `{"type":"FeatureCollection","features":[]}`, "coord_sys": "WGS84", "role": "street", "viewer_role": "",
	"code": "street-vending", "parent_code": "110101", "jurisdiction": "beijing.gov.cn", "filename": "12345-2026-12-07.csv",
	"content_type": "image/jpeg", "key": "photos/2026/12/07/0193b7e2.jpg", "key_id": "k1", "event_name": "dispatch.acknowledged",
	"kind": "dispatch.acknowledged", "level": "street", "type": "whistle", "text": "东华门大街路口早市占道", "subject": "oidc|wang.fang",
	"actor": "street-110101001", "by": "admin-1", "created_by": "admin-1", "published_by": "admin-1", "decided_by": "supervisor-110101",
	"triage_by": "grid-110101001-03", "revoked_by": "admin-1", "confirmed_by": "street-110101001", "imported_by": "desk-110101-12345",
	"requested_by": "desk-110101-urban-management", "reported_by": "grid-110101001-03", "filed_by": "grid-110101001-03",
	"reset_reason": "办结不实，重新派单", "sla_reset_reason": "办结不实，重新派单", "return_code": "NOT_OUR_DUTY", "reason_code": "NOT_OUR_DUTY",
	"rule": "category street-vending → urban-management", "last_error": "Post \"https://hooks.example.gov.cn/whistle\": context deadline exceeded",
	"version": "2026.11", "catalogue_version": "2026.11", "boundary_version": "3", "window": "2026-11", "state": "open",
	"drill_id": "flood_2026_07", "group_by": "DEPARTMENT", "html": "<!doctype html><html lang=\"zh-CN\"><title>治理成绩单</title></html>", "action": "acknowledge", "from": "received", "to": "acknowledged",
	"access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJzdHJlZXQtMTEwMTAxMDAxIn0.c2lnbmF0dXJl", "subject_token": "",
	"file": "requests.json", "last_event_id": "42", "replace": "false", "publish": "true", "code_property": "code",
	"name_property": "name", "parent_property": "parent", "street": "110101001", "district": "110101", "grid": "110101001-03", "client_id": "whistlectl", "scope": "openid", "Idempotency-Key": "raise-110101001-20261207-0930", "Last-Event-ID": "42",
	"clock": "ack", "breache": "resolve", "result": "已清理占道摊位，恢复通行", "status": "IN_PROGRESS", "whistle_status": "RESPONDING",
	"source": "12345", "merged_into": "", "cooperating_department": "police", "issuer": "https://sso.example.gov.cn/realms/whistle",
	"change": "added", "from_version": "2026.10", "to_version": "2026.11", "desk": "东城区城管执法局值班台", "redirect": "/",
	"summary": "已责令停工", "commit": "3f9c2d1a7b4e5f60718293a4b5c6d7e8f9012345", "go_version": "go1.26.8", "field": "category", "error": "Post \"https://hooks.example.gov.cn/whistle\": context deadline exceeded",
	"example": "东华门大街早市占道经营", "robot_url": "https://oapi.dingtalk.com/robot/send?access_token=5f1c2b9e0a7d4e3f8b6c1d2e3f4a5b6c",
	"target": "https://oapi.dingtalk.com/robot/send",
}

// exampleNumbers are number and integer values by field name.
var exampleNumbers = map[string]any{
	"lat": 39.9163, "lng": 116.3972, "satisfaction": 5, "count": 12, "total": 12, "line": 2, "attempt": 1, "status_code": 200,
	"last_status_code": 502, "rank": 1, "round": 1, "escalation_level": 1, "level": 1, "distance_m": 35.5, "arrival_distance_m": 42.0,
	"median_seconds": 1800, "p90_seconds": 5400, "resolve_working_days": 5, "page_size": 50, "year": 2026, "scale": 1,
}

// addExamples puts an example on every parameter, request body and JSON answer that lacks one.
func addExamples(doc *openapi3.T) error {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, p := range op.Parameters {
				if p.Value.Example == nil && p.Value.Schema != nil {
					p.Value.Example = example(doc, p.Value.Schema, leaf(p.Value.Name), 0)
				}
			}
			if op.RequestBody != nil {
				fill(doc, op.RequestBody.Value.Content)
			}
			for _, r := range op.Responses.Map() {
				if r.Ref == "" && r.Value != nil {
					fill(doc, r.Value.Content)
				}
			}
		}
	}
	return nil
}

func leaf(name string) string { return name[strings.LastIndex(name, ".")+1:] }

func fill(doc *openapi3.T, c openapi3.Content) {
	for _, mt := range c {
		if mt.Example == nil && mt.Schema != nil && (mt.Schema.Value == nil || mt.Schema.Value.ContentMediaType != mediaXLSX) {
			mt.Example = example(doc, mt.Schema, "", 0)
		}
	}
}

// example is a value of s; name is the property it is the value of.
func example(doc *openapi3.T, ref *openapi3.SchemaRef, name string, depth int) any {
	s := ref.Value
	if s == nil && ref.Ref != "" {
		s = doc.Components.Schemas[strings.TrimPrefix(ref.Ref, "#/components/schemas/")].Value
	}
	if s == nil {
		return nil
	}
	if len(s.AnyOf) > 0 { // a nullable field: show it set
		return example(doc, s.AnyOf[0], name, depth)
	}
	if len(s.AllOf) == 1 { // a described reference
		return example(doc, s.AllOf[0], name, depth)
	}
	if len(s.Enum) > 0 {
		for _, v := range s.Enum {
			if str, ok := v.(string); !ok || !strings.HasSuffix(str, "_UNSPECIFIED") {
				return v
			}
		}
		return s.Enum[0]
	}
	switch {
	case s.Type.Includes("object") || (s.Type == nil && len(s.Properties) > 0):
		out := map[string]any{}
		if depth > 4 {
			return out
		}
		for p, ps := range s.Properties {
			out[p] = example(doc, ps, p, depth+1)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil && len(s.Properties) == 0 {
			out["110101"] = example(doc, ap, name, depth+1)
		}
		return out
	case s.Type.Includes("array"):
		if depth > 4 || s.Items == nil {
			return []any{}
		}
		return []any{example(doc, s.Items, strings.TrimSuffix(name, "s"), depth+1)}
	case s.Type.Includes("boolean"):
		return name == "ok" || name == "enabled" || name == "live"
	case s.Type.Includes("integer"), s.Type.Includes("number"):
		if v, ok := exampleNumbers[name]; ok {
			return v
		}
		if strings.HasSuffix(name, "_rate") && s.Type.Includes("number") {
			return 0.95
		}
		return 3
	case s.Type.Includes("string"):
		return exampleString(s, name)
	}
	return nil
}

func exampleString(s *openapi3.Schema, name string) any {
	switch s.Format {
	case "date-time":
		return "2026-12-07T09:30:00Z"
	case "int64", "uint64":
		return "42"
	case "byte":
		return "aGVsbG8="
	}
	if v, ok := exampleStrings[name]; ok {
		return v
	}
	switch {
	case name == "id" || strings.HasSuffix(name, "_id"):
		return exampleID
	case strings.HasSuffix(name, "_ids"):
		return exampleID
	case strings.HasSuffix(name, "_at") || strings.HasSuffix(name, "_by_time"):
		return "2026-12-07T09:30:00Z"
	case strings.HasSuffix(name, "within") || name == "ttl" || strings.HasSuffix(name, "_overlap") || strings.HasSuffix(name, "_sla"):
		return "3600s"
	case name == "page_token" || name == "next_page_token":
		return "MjAyNi0xMi0wN1QwOTozMDowMFo"
	}
	return "示例 example"
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
