module example.com/demofix

go 1.22
