module github.com/chuishao/whistle/tools/chaos

go 1.26.0

replace (
	github.com/chuishao/whistle/platform => ../../platform
	github.com/chuishao/whistle/proto => ../../proto
	github.com/chuishao/whistle/tools/bench => ../bench
)

require (
	github.com/chuishao/whistle/platform v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/proto v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/services/discovery v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/services/feedback v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/services/intake v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/services/response v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/services/routing v0.0.0-00010101000000-000000000000
	github.com/chuishao/whistle/tools/bench v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.12.0
	github.com/nats-io/nats-server/v2 v2.15.2
	github.com/nats-io/nats.go v1.55.0
	github.com/stretchr/testify v1.12.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/MicahParks/jwkset v0.11.4 // indirect
	github.com/MicahParks/keyfunc/v3 v3.9.2 // indirect
	github.com/antithesishq/antithesis-sdk-go v0.8.0-default-no-op // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/exaring/otelpgx v0.13.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0 // indirect
	github.com/hashicorp/golang-lru/v2 v2.0.7 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/jonboulle/clockwork v0.5.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/minio/highwayhash v1.0.4 // indirect
	github.com/nats-io/jwt/v2 v2.8.2 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261026165753-2ffab32bce7e // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261104224025-d1e00e9f33ab // indirect
	google.golang.org/grpc v1.85.0 // indirect
)

replace (
	github.com/chuishao/whistle/services/discovery => ../../services/discovery
	github.com/chuishao/whistle/services/feedback => ../../services/feedback
	github.com/chuishao/whistle/services/intake => ../../services/intake
	github.com/chuishao/whistle/services/response => ../../services/response
	github.com/chuishao/whistle/services/routing => ../../services/routing
)
