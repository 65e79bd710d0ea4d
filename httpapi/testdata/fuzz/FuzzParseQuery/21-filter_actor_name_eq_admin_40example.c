go test fuzz v1
string("filter[actor_name][eq]=admin%40example.com")
