import ast

def run(s):
    try:
        return eval(s)
    except:
        return None
