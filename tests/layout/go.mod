module github.com/chuishao/whistle/tests/layout

go 1.26.0
