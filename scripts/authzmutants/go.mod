module github.com/hearth-dev/hearth/scripts/authzmutants

go 1.26.0
