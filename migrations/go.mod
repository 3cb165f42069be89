module github.com/hearth-dev/hearth/migrations

go 1.26
