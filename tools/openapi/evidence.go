package main

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// addEvidence documents the gateway's attachment routes
// (services/gateway/internal/evidence): the upload, whose body is the file
// itself, and the two downloads.
func addEvidence(add func(string, string, *openapi3.Operation)) {
	ids := openapi3.Parameters{pathParam("whistle_id", "The whistle."), pathParam("id", "The attachment.")}
	file := mergeContent(
		binary("image/jpeg", "A photo; re-encoded without metadata, its EXIF GPS position kept as evidence.", nil),
		binary("image/png", "A picture; re-encoded without metadata.", nil),
		binary("image/webp", "A photo; stored as JPEG.", nil),
		binary("video/mp4", "A short video, stored as uploaded.", nil),
		binary("application/pdf", "A document, stored as uploaded.", nil),
		binary("application/octet-stream", "Any of the above: the type is sniffed from the bytes, never taken from Content-Type.", nil))
	created := "The attachment, on the whistle and its timeline (whistle.attachment_added)."
	add("POST", "/v1/whistles/{whistle_id}/attachments", &openapi3.Operation{
		OperationID: "Edge_UploadAttachment", Tags: []string{"Edge"},
		Summary: "上传证据（照片、短视频、PDF）。Attach evidence to a whistle: the raising street at raise, a dispatched desk at arrival (到场) or resolution (办结).",
		Description: "The body is the file itself (curl --data-binary), at most 10 MiB; a whistle holds at most 9 attachments. " +
			"JPEG, PNG, WebP, MP4 and PDF are accepted, by their bytes (415 otherwise).",
		Parameters: openapi3.Parameters{
			pathParam("whistle_id", "The whistle."),
			queryParam("stage", "raise (the street), arrival or resolution (a desk)."),
			queryParam("file_name", "The file's name, for display."),
		},
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(file)},
		Responses: openapi3.NewResponses(openapi3.WithStatus(201, &openapi3.ResponseRef{Value: &openapi3.Response{
			Description: &created, Content: jsonContent(openapi3.NewSchemaRef("#/components/schemas/whistle.intake.v1.Attachment", nil)),
		}})),
	})
	add("GET", "/v1/whistles/{whistle_id}/attachments/{id}/content", &openapi3.Operation{
		OperationID: "Edge_GetAttachmentContent", Tags: []string{"Edge"}, Parameters: ids,
		Summary: "证据文件（图片已去除元数据）。The stored file: images re-encoded without EXIF; to whoever may read the whistle.",
		Responses: ok("The file, with the type the gateway sniffed.", mergeContent(
			binary("image/jpeg", "", nil), binary("image/png", "", nil), binary("video/mp4", "", nil), binary("application/pdf", "", nil))),
	})
	add("GET", "/v1/whistles/{whistle_id}/attachments/{id}/thumbnail", &openapi3.Operation{
		OperationID: "Edge_GetAttachmentThumbnail", Tags: []string{"Edge"}, Parameters: ids,
		Summary:   "证据缩略图。A JPEG thumbnail (at most 320 px) of a photo, without metadata.",
		Responses: ok("The thumbnail.", binary("image/jpeg", "", nil)),
	})
	reportIDs := openapi3.Parameters{pathParam("report_id", "The report."), pathParam("id", "The attachment.")}
	reportCreated := "The attachment, on the report (stage report)."
	add("POST", "/v1/discovery/reports/{report_id}/attachments", &openapi3.Operation{
		OperationID: "Edge_UploadReportAttachment", Tags: []string{"Edge"},
		Summary: "上报附照片。Attach a photo to a report: its reporter (grid worker or street), while the report waits for triage.",
		Description: "The body is the file itself (curl --data-binary), at most 10 MiB; a report holds at most 9 attachments. " +
			"JPEG, PNG, WebP, MP4 and PDF are accepted, by their bytes (415 otherwise). The EXIF position is kept for those " +
			"who may read the report; the public view of a report has no attachments.",
		Parameters: openapi3.Parameters{
			pathParam("report_id", "The report."),
			queryParam("file_name", "The file's name, for display."),
		},
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(file)},
		Responses: openapi3.NewResponses(openapi3.WithStatus(201, &openapi3.ResponseRef{Value: &openapi3.Response{
			Description: &reportCreated, Content: jsonContent(openapi3.NewSchemaRef("#/components/schemas/whistle.intake.v1.Attachment", nil)),
		}})),
	})
	add("GET", "/v1/discovery/reports/{report_id}/attachments/{id}/content", &openapi3.Operation{
		OperationID: "Edge_GetReportAttachmentContent", Tags: []string{"Edge"}, Parameters: reportIDs,
		Summary: "上报照片（已去除元数据）。The stored file: images re-encoded without EXIF; to whoever may read the report.",
		Responses: ok("The file, with the type the gateway sniffed.", mergeContent(
			binary("image/jpeg", "", nil), binary("image/png", "", nil), binary("video/mp4", "", nil), binary("application/pdf", "", nil))),
	})
	add("GET", "/v1/discovery/reports/{report_id}/attachments/{id}/thumbnail", &openapi3.Operation{
		OperationID: "Edge_GetReportAttachmentThumbnail", Tags: []string{"Edge"}, Parameters: reportIDs,
		Summary:   "上报照片缩略图。A JPEG thumbnail (at most 320 px) of a report's photo, without metadata.",
		Responses: ok("The thumbnail.", binary("image/jpeg", "", nil)),
	})
	add("GET", "/open311/v2/media/{whistle_id}/{file}", &openapi3.Operation{
		OperationID: "Open311_GetMedia", Tags: []string{"Open311"}, Security: public(),
		Parameters: openapi3.Parameters{pathParam("whistle_id", "The whistle."), pathParam("file", "<attachment id>.jpg")},
		Summary:    "公开缩略图（Open311 media_url）。The public thumbnail a request's media_url points to: re-encoded, without EXIF.",
		Responses:  ok("The thumbnail.", binary("image/jpeg", "", nil)),
	})
}
