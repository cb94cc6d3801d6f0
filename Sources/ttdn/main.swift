import TTDN
print("hi")
