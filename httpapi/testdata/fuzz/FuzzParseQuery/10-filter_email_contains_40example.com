go test fuzz v1
string("filter[email][contains]=%40example.com")
