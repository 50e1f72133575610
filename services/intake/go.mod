module github.com/chuishao/whistle/services/intake

go 1.26.0
