// Command feedback runs the feedback service: whistle timelines.
package main

import (
	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/feedback/app"
)

func main() { service.Main[app.Config](app.Name, app.New) }
