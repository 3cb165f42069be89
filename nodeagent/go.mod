module github.com/hearth-dev/hearth/nodeagent

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/hearth-dev/hearth/shared v0.0.0
	github.com/rs/zerolog v1.35.1
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261110000943-09e21b237f2c // indirect
)

replace github.com/hearth-dev/hearth/shared => ../shared
