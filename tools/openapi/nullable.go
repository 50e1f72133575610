package main

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The APIs' descriptors, looked up by the definitions' full names.
	_ "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	_ "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	_ "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	_ "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// allowNull lets every field with presence be null: the gateway marshals
// with EmitUnpopulated, so an unset message field (a Timestamp, a Duration,
// a nested message) or an unset proto3 optional field is sent as null, which
// the generator's schemas do not allow. Fields of a real oneof are left out
// when unset, and lists and maps are [] and {}.
func allowNull(doc *openapi3.T) error {
	for name, ref := range doc.Components.Schemas {
		md := messageOf(name)
		if md == nil || ref.Value == nil {
			continue
		}
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			if !fd.HasPresence() || fd.IsList() || fd.IsMap() || (fd.ContainingOneof() != nil && !fd.ContainingOneof().IsSynthetic()) {
				continue
			}
			prop, ok := ref.Value.Properties[string(fd.Name())]
			if !ok {
				continue
			}
			ref.Value.Properties[string(fd.Name())] = nullable(prop)
		}
	}
	return nil
}

// messageOf is the message a definition describes: its full name, or for the
// generator's "<service>.<Method>Body" the method's request.
func messageOf(name string) protoreflect.MessageDescriptor {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err == nil {
		md, _ := d.(protoreflect.MessageDescriptor)
		return md
	}
	if !strings.HasSuffix(name, "Body") {
		return nil
	}
	dot := strings.LastIndex(name, ".")
	d, err = protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name[:dot]))
	if err != nil {
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil
	}
	m := sd.Methods().ByName(protoreflect.Name(strings.TrimSuffix(name[dot+1:], "Body")))
	if m == nil {
		return nil
	}
	return m.Input()
}

// nullable is s or null.
func nullable(s *openapi3.SchemaRef) *openapi3.SchemaRef {
	if s.Ref == "" && s.Value != nil && !s.Value.Type.IsEmpty() {
		if !s.Value.Type.IncludesNull() {
			*s.Value.Type = append(*s.Value.Type, openapi3.TypeNull)
		}
		return s
	}
	desc := ""
	if s.Ref == "" && s.Value != nil {
		desc = s.Value.Description
	}
	ref := s
	return openapi3.NewSchemaRef("", &openapi3.Schema{
		Description: desc,
		AnyOf:       openapi3.SchemaRefs{ref, openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeNull}})},
	})
}
