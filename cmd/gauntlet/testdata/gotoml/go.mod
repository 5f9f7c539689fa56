module example.com/gotoml

go 1.21
