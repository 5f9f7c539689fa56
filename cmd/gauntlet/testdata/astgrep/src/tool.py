def main(name):
    print("hello")
    print(name)
    print(3)  # ast-grep-ignore
    print(2.5)
