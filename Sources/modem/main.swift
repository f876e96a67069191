print("modem")
