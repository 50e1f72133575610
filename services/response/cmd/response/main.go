// Command response runs the response service: dispatches, duty-desk actions
// and SLA timers.
package main

import (
	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/response/app"
)

func main() { service.Main[app.Config](app.Name, app.New) }
