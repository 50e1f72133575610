package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/app"
)

var streetUser = auth.Identity{Subject: "dongcheng-donghuamen", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}

func TestReferenceData(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	ctx := h.as(t, streetUser)

	districts, err := h.client.ListDistricts(ctx, &routingv1.ListDistrictsRequest{})
	require.NoError(t, err)
	require.Len(t, districts.GetDistricts(), 16)
	require.Equal(t, "110101", districts.GetDistricts()[0].GetId())
	require.Equal(t, "东城区", districts.GetDistricts()[0].GetName())

	all, err := h.client.ListStreets(ctx, &routingv1.ListStreetsRequest{})
	require.NoError(t, err)
	dongcheng, err := h.client.ListStreets(ctx, &routingv1.ListStreetsRequest{District: "110101"})
	require.NoError(t, err)
	require.NotEmpty(t, dongcheng.GetStreets(), "东城区 has streets")
	require.Less(t, len(dongcheng.GetStreets()), len(all.GetStreets()))
	for _, s := range dongcheng.GetStreets() {
		require.Equal(t, "110101", s.GetDistrictId(), "street %s", s.GetId())
		require.Equal(t, "Polygon", s.GetBoundary().GetFields()["type"].GetStringValue(), "street %s", s.GetId())
	}
	none, err := h.client.ListStreets(ctx, &routingv1.ListStreetsRequest{District: "999999"})
	require.NoError(t, err)
	require.Empty(t, none.GetStreets())

	street, err := h.client.GetStreet(ctx, &routingv1.GetStreetRequest{Id: "110101001"})
	require.NoError(t, err)
	require.Equal(t, "东华门街道", street.GetName())
	require.Equal(t, "Donghuamen", street.GetNameEn())
	require.InDelta(t, 39.9125, street.GetCentroid().GetLat(), 1e-9)
	ring := street.GetBoundary().GetFields()["coordinates"].GetListValue().GetValues()[0].GetListValue().GetValues()
	require.GreaterOrEqual(t, len(ring), 4, "a closed polygon ring")
	require.Equal(t, []any{116.39, 39.903}, ring[0].GetListValue().AsSlice())

	_, err = h.client.GetStreet(ctx, &routingv1.GetStreetRequest{Id: "110101999"})
	require.Equal(t, codes.NotFound, status.Code(err), "unknown street: %v", err)

	departments, err := h.client.ListDepartments(ctx, &routingv1.ListDepartmentsRequest{})
	require.NoError(t, err)
	var codesSeen []string
	for _, d := range departments.GetDepartments() {
		codesSeen = append(codesSeen, d.GetCode())
	}
	require.Contains(t, codesSeen, "district-government")
	require.Contains(t, codesSeen, "police")

	categories, err := h.client.ListCategories(ctx, &routingv1.ListCategoriesRequest{})
	require.NoError(t, err)
	names := map[string]string{}
	for _, c := range categories.GetCategories() {
		require.NotEmpty(t, c.GetNameEn(), c.GetCode())
		names[c.GetName()] = c.GetCode()
	}
	require.GreaterOrEqual(t, len(names), 12)
	for _, name := range []string{"占道经营", "违法建设", "噪音扰民", "垃圾堆放", "餐饮油烟", "渣土遗撒", "群租房",
		"消防通道堵塞", "道路积水", "井盖缺失", "非法小广告", "联合执法"} {
		require.Contains(t, names, name)
	}

	joint, err := h.client.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: "joint-enforcement"})
	require.NoError(t, err)
	require.Equal(t, "联合执法", joint.GetName())
	require.Equal(t, "urban-management", joint.GetLeadDepartment())
	require.Equal(t, []string{"police", "environment"}, joint.GetCooperatingDepartments())
	require.Equal(t, 5*time.Minute, joint.GetSla().GetAckWithin().AsDuration())
	require.Equal(t, 30*time.Minute, joint.GetSla().GetArriveWithin().AsDuration())
	require.Equal(t, 72*time.Hour, joint.GetSla().GetResolveWithin().AsDuration())

	_, err = h.client.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: "no-such-category"})
	require.Equal(t, codes.NotFound, status.Code(err), "unknown category: %v", err)
}

func TestReferenceDataNeedsASignedInCaller(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})

	_, err := h.client.ListDistricts(context.Background(), &routingv1.ListDistrictsRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	// Every role may read reference data.
	for _, id := range []auth.Identity{
		streetUser,
		{Subject: "police-desk", Role: auth.RoleDesk, Department: "police", DistrictID: "110105"},
		{Subject: "city-supervisor", Role: auth.RoleSupervisor},
		{Subject: "root", Role: auth.RoleAdmin},
	} {
		_, err := h.client.GetCategory(h.as(t, id), &routingv1.GetCategoryRequest{Code: "noise"})
		require.NoError(t, err, id.Role)
	}
}

// TestSeedPreparesAnUnseededService is the whistlectl seed path: Seed on a pool
// without the routing search_path, twice, then a service started without seeding.
func TestSeedPreparesAnUnseededService(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(t.Context(), dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, app.Seed(t.Context(), pool))
	require.NoError(t, app.Seed(t.Context(), pool), "seeding again is harmless")

	h := start(t, options{dbURL: dbURL})
	streets, err := h.client.ListStreets(h.as(t, streetUser), &routingv1.ListStreetsRequest{District: "110105"})
	require.NoError(t, err)
	require.NotEmpty(t, streets.GetStreets())
}
