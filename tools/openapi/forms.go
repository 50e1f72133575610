package main

import (
	"github.com/getkin/kin-openapi/openapi3"
)

const mediaPDF = "application/pdf"

// addForms documents the printed forms (services/gateway/internal/download
// forms.go): PDF documents with names, the issuing office and the date, ready
// to sign.
func addForms(add func(string, string, *openapi3.Operation)) {
	pdf := func(path, id, summary string, params openapi3.Parameters) {
		add("GET", path, &openapi3.Operation{OperationID: id, Tags: []string{"Edge"}, Parameters: params, Summary: summary,
			Responses: ok("The PDF (A4).", binary(mediaPDF, "", nil))})
	}
	id := openapi3.Parameters{pathParam("id", "The dispatch.")}
	pdf("/v1/dispatches/{id}/order.pdf", "Edge_PrintDispatchOrder", "派单单（PDF）。The dispatch order: department, street, category, place, description and deadlines by name, "+
		"signature lines for receipt and arrival, the street office's seal and date. For whoever may read the dispatch "+
		"(its department's desk in its district, the district's supervisors), and for the street that raised the whistle, "+
		"which names it with whistle_id.",
		openapi3.Parameters{id[0], queryParam("whistle_id", "The dispatch's whistle: how the street that raised it prints the order (it does not read dispatches otherwise).")})
	pdf("/v1/dispatches/{id}/supervision-notice.pdf", "Edge_PrintSupervisionNotice", "督办通知书（PDF）。The supervision notice of a dispatch under 督办 or 挂牌督办 (escalation level 2 or 3; "+
		"FAILED_PRECONDITION otherwise): what was asked, which deadlines passed, what the department must do, issued by the "+
		"district's supervision office (督查室) and dated, with a receipt to sign. For whoever may read the dispatch.", id)
	pdf("/v1/reports/monthly.pdf", "Edge_PrintMonthlyScorecard", "治理成绩单（PDF）。The month's governance scorecard of a district — departments and streets ranked by name — "+
		"or of one department or street, issued by the district's supervision office and dated, with signature lines. "+
		"For whoever may read the district's scorecards (its supervisors, the city's, an admin).",
		openapi3.Parameters{
			queryParam("district", "Six-digit district code; a district supervisor may leave it empty for its own."),
			queryParam("month", "YYYY-MM (Beijing time)."),
			queryParam("department", "A department code: that department's scorecard (its line, rank and the district's total)."),
			queryParam("street", "A street id of the district: that street's scorecard."),
		})
}
