// Command discovery runs the discovery service: reports reach a street, are
// triaged, and become whistles through intake's API.
package main

import (
	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/discovery/app"
)

func main() { service.Main[app.Config](app.Name, app.New) }
