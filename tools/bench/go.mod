module github.com/chuishao/whistle/tools/bench

go 1.26.0

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/nats-io/nats.go v1.55.0
	github.com/stretchr/testify v1.12.1
)
