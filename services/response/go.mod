module github.com/chuishao/whistle/services/response

go 1.26.0
