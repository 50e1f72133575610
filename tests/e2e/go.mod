module github.com/chuishao/whistle/tests/e2e

go 1.26.0
