package grpcapi

import (
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// PublicViewMethods are the reads the public's read-only identity
// (auth.RolePublic, Open311's anonymous reads) may call; each answers it its
// public view (package whistles).
var PublicViewMethods = []string{
	intakev1.IntakeService_GetWhistle_FullMethodName,
	intakev1.IntakeService_ListWhistles_FullMethodName,
	intakev1.IntakeService_GetAttachment_FullMethodName, // thumbnails only (getAttachment)
}
