package app

import routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

// auditedMethods change the routing catalogue, the departments, the streets'
// names, the map or the property companies, or decide an arbitration for the
// departments: each successful call is an admin.routing event, written in
// the action's own transaction (service.Runtime.Audit).
var auditedMethods = []string{
	routingv1.RoutingService_UpdateCatalogueDraft_FullMethodName,
	routingv1.RoutingService_PublishCatalogue_FullMethodName,
	routingv1.RoutingService_DecideArbitration_FullMethodName,
	routingv1.RoutingService_ImportBoundaries_FullMethodName,
	routingv1.RoutingService_PublishBoundaries_FullMethodName,
	routingv1.RoutingService_SavePropertyCompany_FullMethodName,
	routingv1.RoutingService_SaveDepartment_FullMethodName,
	routingv1.RoutingService_RenameStreet_FullMethodName,
}
