print("docker-librato")
