module github.com/chuishao/whistle/cli

go 1.26.0
