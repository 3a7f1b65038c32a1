import Translate
