module example.com/fixbuild

go 1.21
