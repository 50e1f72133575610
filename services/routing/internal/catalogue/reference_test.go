package catalogue_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/routing/internal/boundary"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

func TestPropertyCompaniesServeOfficialCommunities(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for _, tc := range []struct {
		name   string
		p      catalogue.PropertyCompany
		fields []string
	}{
		{name: "a company and its communities", p: catalogue.PropertyCompany{
			Code: "pm-duofu", Name: "多福物业", NameEn: "Duofu Property", Communities: []string{"110101001001", "110101001002"}}},
		{name: "renamed, serving no more communities", p: catalogue.PropertyCompany{
			Code: "pm-duofu", Name: "多福物业公司", NameEn: "Duofu Property Co."}},
		{name: "a code that is no code", p: catalogue.PropertyCompany{Code: "PM 1", Name: "x", NameEn: "x"}, fields: []string{"code"}},
		{name: "a community party's code", p: catalogue.PropertyCompany{Code: "cc-110101001001", Name: "x", NameEn: "x"}, fields: []string{"code"}},
		{name: "a department's code", p: catalogue.PropertyCompany{Code: "police", Name: "x", NameEn: "x"}, fields: []string{"code"}},
		{name: "no names", p: catalogue.PropertyCompany{Code: "pm-x"}, fields: []string{"name", "name_en"}},
		{name: "a community twice", p: catalogue.PropertyCompany{Code: "pm-x", Name: "x", NameEn: "x",
			Communities: []string{"110101001001", "110101001001"}}, fields: []string{"community_codes[1]"}},
		{name: "no official community", p: catalogue.PropertyCompany{Code: "pm-x", Name: "x", NameEn: "x",
			Communities: []string{"110101001001", "999999999999"}}, fields: []string{"community_codes[1]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row, err := s.SavePropertyCompany(t.Context(), admin, tc.p)
			if tc.fields != nil {
				require.Equal(t, tc.fields, fields(t, err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.p.Name, row.Name)
			require.Equal(t, []string{"110101001001", "110101001002"}, row.Communities, "a save adds communities, never drops them")
		})
	}
	rows, err := s.PropertyCompanies(t.Context(), "110101")
	require.NoError(t, err)
	require.Len(t, rows, 1)
	rows, err = s.PropertyCompanies(t.Context(), "110102")
	require.NoError(t, err)
	require.Empty(t, rows)
	_, err = s.PropertyCompanies(t.Context(), "1101")
	require.Equal(t, []string{"district"}, fields(t, err))
}

func TestDepartmentsAndStreetsAreNamedInOneLine(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for _, tc := range []struct {
		name, code, zh, en string
		fields             []string
	}{
		{name: "a new department", code: "gas", zh: "燃气集团", en: "Gas group"},
		{name: "names are trimmed", code: "heating", zh: " 热力集团 ", en: " Heating "},
		{name: "a code with capitals", code: "Gas", zh: "燃气", en: "Gas", fields: []string{"code"}},
		{name: "no names", code: "gas", fields: []string{"name", "name_en"}},
		{name: "markup in a name", code: "gas", zh: "<b>燃气</b>", en: "Gas\nGroup", fields: []string{"name", "name_en"}},
	} {
		t.Run("department: "+tc.name, func(t *testing.T) {
			row, err := s.SaveDepartment(t.Context(), admin, tc.code, tc.zh, tc.en)
			if tc.fields != nil {
				require.Equal(t, tc.fields, fields(t, err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.code, row.Code)
			require.NotContains(t, row.Name, " ")
		})
	}
	st, err := s.RenameStreet(t.Context(), admin, "110101001", "东华门街道", "Donghuamen Subdistrict")
	require.NoError(t, err)
	require.Equal(t, "Donghuamen Subdistrict", st.NameEn)
	require.NotEmpty(t, st.Boundary, "answered with its boundary")
	_, err = s.RenameStreet(t.Context(), admin, "999999999", "无", "None")
	require.ErrorIs(t, err, routing.ErrNotFound)
	_, err = s.RenameStreet(t.Context(), admin, "", "无", "None")
	require.Equal(t, []string{"id"}, fields(t, err))
}

func TestTheDistrictMapKeepsToTheCallersDistrict(t *testing.T) {
	t.Parallel()
	s := newService(t)
	supervisor := auth.Identity{Role: auth.RoleSupervisor, Subject: "sup", DistrictID: "110101"}
	city := auth.Identity{Role: auth.RoleSupervisor, Subject: "city"}
	for _, tc := range []struct {
		name             string
		caller           auth.Identity
		district, answer string
		found            bool
	}{
		{name: "a district supervisor's own district by default", caller: supervisor, answer: "110101", found: true},
		{name: "a district supervisor names its own", caller: supervisor, district: "110101", answer: "110101", found: true},
		{name: "another district is not found", caller: supervisor, district: "110102"},
		{name: "a city supervisor names any", caller: city, district: "110102", answer: "110102", found: true},
		{name: "the city when none is named", caller: city, answer: "", found: true},
		{name: "an admin names any", caller: admin, district: "110105", answer: "110105", found: true},
		{name: "an unknown district is not found", caller: admin, district: "999999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := s.DistrictMap(t.Context(), tc.caller, tc.district)
			if !tc.found {
				require.ErrorIs(t, err, routing.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.answer, m.District)
			require.NotEmpty(t, m.Streets)
			for _, st := range m.Streets {
				if tc.answer != "" {
					require.Equal(t, tc.answer, st.DistrictID)
				}
			}
		})
	}
}

func TestBoundariesArePublishedFromTheDraftTheAdminSaw(t *testing.T) {
	t.Parallel()
	s := newService(t)
	community := boundary.Options{Level: boundary.Community}
	_, err := s.PublishBoundaries(t.Context(), admin, "")
	require.ErrorIs(t, err, routing.ErrConflict)
	file := []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110101001001","name":"多福巷社区","parent":"110101001"},
"geometry":{"type":"Polygon","coordinates":[[[116.40,39.91],[116.405,39.91],[116.405,39.915],[116.40,39.915],[116.40,39.91]]]}}]}`)
	in, err := s.ImportBoundaries(t.Context(), admin, catalogue.Import{GeoJSON: file, Description: "one community", Options: community})
	require.NoError(t, err)
	require.Equal(t, catalogue.BoundaryDraft, in.Version)
	require.Equal(t, 1, in.Units)
	require.Len(t, in.Changes, 1)
	_, err = s.PublishBoundaries(t.Context(), admin, "not-the-file")
	require.ErrorIs(t, err, routing.ErrConflict, "another file since the preview")
	v, err := s.PublishBoundaries(t.Context(), admin, in.SourceSHA256)
	require.NoError(t, err)
	require.EqualValues(t, 1, v.Units)
	version, units, err := s.BoundaryUnits(t.Context(), "", "community", "")
	require.NoError(t, err)
	require.Equal(t, v.Version, version)
	require.Len(t, units, 1)
	_, _, err = s.BoundaryUnits(t.Context(), "b999", "", "")
	require.ErrorIs(t, err, routing.ErrNotFound)
	_, err = s.ImportBoundaries(t.Context(), admin, catalogue.Import{GeoJSON: []byte(`{"type":"FeatureCollection","features":[{"type":"Feature",
"properties":{"code":"110101001009","name":"无","parent":"999999999"},"geometry":{"type":"Polygon","coordinates":[[[116.40,39.91],[116.405,39.91],[116.405,39.915],[116.40,39.91]]]}}]}`), Options: community})
	require.Len(t, fields(t, err), 1, "a unit whose parent is unknown")
}
