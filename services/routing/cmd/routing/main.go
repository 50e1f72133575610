// Command routing runs the routing service.
package main

import (
	"github.com/chuishao/whistle/platform/service"

	"github.com/chuishao/whistle/services/routing/app"
)

func main() { service.Main[app.Config]("routing", app.New) }
