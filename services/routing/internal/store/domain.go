package store

import (
	"time"

	"github.com/chuishao/whistle/services/routing/internal/routing"
)

// Domain is the category as the routing rules use it.
func (c Category) Domain() routing.Category {
	return routing.Category{
		Code:        c.Code,
		Lead:        c.LeadDepartment,
		Cooperating: c.CooperatingDepartments,
		SLA: routing.SLA{
			AckWithin:     time.Duration(c.SlaAckMinutes) * time.Minute,
			ArriveWithin:  time.Duration(c.SlaArriveMinutes) * time.Minute,
			ResolveWithin: time.Duration(c.SlaResolveHours) * time.Hour,
		},
		CatalogueVersion: c.CatalogueVersion,
	}
}

// Domain is the catalogue rule as the routing rules use it.
func (r CatalogueRule) Domain() routing.Rule {
	return routing.Rule{
		Category:    r.Category,
		DistrictID:  r.DistrictID,
		Lead:        r.LeadDepartment,
		Cooperating: r.CooperatingDepartments,
		SLA: routing.SLA{
			AckWithin:     time.Duration(r.SlaAckMinutes) * time.Minute,
			ArriveWithin:  time.Duration(r.SlaArriveMinutes) * time.Minute,
			ResolveWithin: time.Duration(r.SlaResolveHours) * time.Hour,
		},
	}
}
