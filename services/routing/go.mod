module github.com/chuishao/whistle/services/routing

go 1.26.0
