"""Frozen metric networks (InceptionV3 for FID, IR-SE50 ArcFace for FRS, CelebA-HQ attribute
classifiers for mAcc) and the host-side statistics they feed."""
