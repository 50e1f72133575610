module github.com/chuishao/whistle/services/feedback

go 1.26.0
