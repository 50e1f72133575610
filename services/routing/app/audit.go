package app

import (
	"github.com/chuishao/whistle/platform/service"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// auditedMethods change the routing catalogue, the departments, the streets'
// names, the map or the property companies, or decide an arbitration for the
// departments: each successful call is an admin.routing event, written in
// the action's own transaction, naming the catalogue or boundary version,
// the department, company, street or arbitration (service.Runtime.Audit).
var auditedMethods = []service.Audited{
	{Method: routingv1.RoutingService_UpdateCatalogueDraft_FullMethodName, Object: "version"},
	{Method: routingv1.RoutingService_PublishCatalogue_FullMethodName, Object: "version"},
	{Method: routingv1.RoutingService_DecideArbitration_FullMethodName, Object: "id"},
	{Method: routingv1.RoutingService_ImportBoundaries_FullMethodName, Object: "version"},
	{Method: routingv1.RoutingService_PublishBoundaries_FullMethodName, Object: "version"},
	{Method: routingv1.RoutingService_SavePropertyCompany_FullMethodName, Object: "code"},
	{Method: routingv1.RoutingService_SaveDepartment_FullMethodName, Object: "code"},
	{Method: routingv1.RoutingService_RenameStreet_FullMethodName, Object: "id"},
}
