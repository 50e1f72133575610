package open311

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// Response formats, chosen by the path's extension (services.json, services.xml).
const (
	formatJSON = "json"
	formatXML  = "xml"
)

// splitFormat cuts "services.json" into "services" and "json"; ok is false
// for an unknown or missing extension.
func splitFormat(file string) (name, format string, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return "", "", false
	}
	name, format = file[:i], strings.ToLower(file[i+1:])
	return name, format, format == formatJSON || format == formatXML
}

// Service is one service type: a Whistle category.
type Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description *string  `json:"description" xml:"description,omitempty"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    *string  `json:"keywords" xml:"keywords,omitempty"`
	Group       *string  `json:"group" xml:"group,omitempty"`
}

type servicesXML struct {
	XMLName  xml.Name  `xml:"services"`
	Services []Service `xml:"service"`
}

// AttributeValue is one choice of a list attribute.
type AttributeValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

// Attribute is an extra form field of a service.
type Attribute struct {
	Variable            bool             `json:"variable" xml:"variable"`
	Code                string           `json:"code" xml:"code"`
	Datatype            string           `json:"datatype" xml:"datatype"`
	Required            bool             `json:"required" xml:"required"`
	DatatypeDescription *string          `json:"datatype_description" xml:"datatype_description,omitempty"`
	Order               int              `json:"order" xml:"order"`
	Description         *string          `json:"description" xml:"description,omitempty"`
	Values              []AttributeValue `json:"values,omitempty" xml:"values>value,omitempty"`
}

// ServiceDefinition lists a service's attributes.
type ServiceDefinition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []Attribute `json:"attributes" xml:"attributes>attribute"`
}

// Request is a service request: a whistle as Open311 sees it.
type Request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       *string  `json:"status_notes" xml:"status_notes,omitempty"`
	ServiceName       *string  `json:"service_name" xml:"service_name,omitempty"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       *string  `json:"description" xml:"description,omitempty"`
	AgencyResponsible *string  `json:"agency_responsible" xml:"agency_responsible,omitempty"`
	ServiceNotice     *string  `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   *string  `json:"updated_datetime" xml:"updated_datetime,omitempty"`
	ExpectedDatetime  *string  `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           *string  `json:"address" xml:"address,omitempty"`
	AddressID         *string  `json:"address_id" xml:"address_id,omitempty"`
	Zipcode           *string  `json:"zipcode" xml:"zipcode,omitempty"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          *string  `json:"media_url" xml:"media_url,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Request `xml:"request"`
}

// Created answers POST requests: the new request's id and what to expect.
type Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
	ServiceNotice    string   `json:"service_notice,omitempty" xml:"service_notice,omitempty"`
}

type createdXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Created `xml:"request"`
}

// TokenAnswer resolves a token to its service request.
type TokenAnswer struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	Token            string   `json:"token" xml:"token"`
}

type tokensXML struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []TokenAnswer `xml:"request"`
}

// specError is one entry of the spec's error list.
type specError struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type errorsXML struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []specError `xml:"error"`
}

// write encodes v as JSON, or xmlV as XML.
func write(w http.ResponseWriter, format string, status int, v, xmlV any) {
	if format == formatXML {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(xml.Header))
		_ = xml.NewEncoder(w).Encode(xmlV)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers in the spec's error format: a list of {code, description}.
func writeError(w http.ResponseWriter, format string, status int, description string) {
	e := []specError{{Code: status, Description: description}}
	write(w, format, status, e, errorsXML{Errors: e})
}

func ptr[T any](v T) *T { return &v }

// optional is nil for an empty string, so JSON says null and XML omits it.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
