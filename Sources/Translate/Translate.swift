import Seq
import Text
