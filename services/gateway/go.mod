module github.com/chuishao/whistle/services/gateway

go 1.26.0
