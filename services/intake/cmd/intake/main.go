// Command intake runs the intake service: streets raise and follow whistles.
package main

import (
	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/intake/app"
)

func main() { service.Main[app.Config](app.Name, app.New) }
