module github.com/rpcwatch/rpcwatch

go 1.26
